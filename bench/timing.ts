/** Median, fastest and slowest milliseconds of a body's timed runs. */
export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** One warm-up run (two for fast bodies), then 5 timed runs if one takes over `slowMs`, else 15. */
export function timeRuns(body: () => void, slowMs: number): Timing {
  const first = performance.now();
  body();
  const slow = performance.now() - first > slowMs;
  if (!slow) body();
  const samples: number[] = [];
  for (let r = 0; r < (slow ? 5 : 15); r++) {
    const start = performance.now();
    body();
    samples.push(performance.now() - start);
  }
  samples.sort((x, y) => x - y);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples[samples.length - 1] };
}
