/** The device-program pass profile's summary (core/backend/webgpu/program-profile.ts): per call, per program, by kind and by pass. */
import { describe, expect, it } from 'vitest';
import { PassProfile } from '../../core/backend/webgpu/program-profile.js';

describe('the webgpu pass profile', () => {
  it('sums each pass over calls and reports milliseconds and passes per call, by kind and by label, per program', () => {
    const profile = new PassProfile();
    for (let call = 0; call < 2; call++) {
      profile.add(7, [
        { label: 'matmul {"m":2,"k":3,"n":4} 8', ms: 10 },
        { label: 'copy rank 2 8', ms: 1 },
        { label: 'copy rank 2 8', ms: 3 },
      ]);
    }
    profile.add(9, [{ label: 'add {} 5', ms: 6 }]);
    const lines = profile.summary().split('\n');
    expect(lines[0]).toBe('tapegrad webgpu pass profile of device program 7: 2 calls, 14.0 ms of passes a call (each pass submitted and waited for alone)');
    // by kind, costliest first: matmul 10 ms in 1 pass a call, copy 4 ms in 2
    expect(lines[2].split(/\s+/).filter(Boolean)).toEqual(['10.0', '1', 'matmul']);
    expect(lines[3].split(/\s+/).filter(Boolean)).toEqual(['4.0', '2', 'copy']);
    expect(lines[5].trim()).toMatch(/^10\.0\s+1\s+matmul \{"m":2,"k":3,"n":4\} 8$/);
    expect(lines[6].trim()).toMatch(/^4\.0\s+2\s+copy rank 2 8$/);
    expect(lines[7]).toBe('tapegrad webgpu pass profile of device program 9: 1 calls, 6.0 ms of passes a call (each pass submitted and waited for alone)');
  });

  it('says when no program ran', () => {
    expect(new PassProfile().summary()).toBe('tapegrad webgpu pass profile: no device program ran');
  });
});
