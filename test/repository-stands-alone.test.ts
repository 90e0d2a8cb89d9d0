/** A clone has no sibling `shared` folder beside it: nothing tracked may read or cite one (issue 14). */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('no tracked file points at the sibling shared folder', () => {
  const pattern = ['\\.\\.', 'shared'].join('/'); // built so this file does not match itself
  let hits = '';
  try {
    hits = execFileSync('git', ['grep', '-n', '-E', pattern], { encoding: 'utf8' });
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error; // 1: no match
  }
  expect(hits).toBe('');
});
