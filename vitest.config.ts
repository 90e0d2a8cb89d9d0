import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // property tests run many float64 gradient checks; give slow machines room
    testTimeout: 60_000,
    pool: 'forks',
  },
});
