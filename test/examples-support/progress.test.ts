import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, progress } from '../../examples/support/progress.js';

function capture(isTTY = false) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    }),
    { isTTY, columns: 200 },
  );
  return { stream, text: () => chunks.join('') };
}

describe('progress', () => {
  it('prints plain lines every N steps when the stream is not a terminal', () => {
    const { stream, text } = capture();
    let time = 0;
    const bar = progress({ total: 3000, label: 'step', stream, everySteps: 100, everySeconds: 1000, now: () => time });
    for (let step = 1; step <= 300; step++) {
      time += 400; // 2.5 step/s
      bar.tick({ loss: 9.1234, H: 6.9, KL: 0.0123, phase: 'warmup' });
    }
    bar.done();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('step 1/3000 0.0 %  loss 9.12  H 6.90  KL 0.012  phase warmup  2.5 step/s  ETA 19m60s'.replace('19m60s', formatDuration(2999 / 2.5)));
    expect(lines[1]).toMatch(/^step 100\/3000 3\.3 %  loss 9\.12 .* 2\.5 step\/s  ETA 19m20s$/);
    expect(lines[2]).toMatch(/^step 200\/3000 6\.7 % /);
    expect(lines[3]).toMatch(/^step 300\/3000 10\.0 % /);
    expect(lines[4]).toMatch(/^step 300\/3000 10\.0 % .* took 2m00s$/);
    expect(text()).not.toMatch(/\r|\x1b|\[=/);
  });

  it('also prints when enough time has passed, however few steps', () => {
    const { stream, text } = capture();
    let time = 0;
    const bar = progress({ total: 1000, stream, everySeconds: 10, now: () => time });
    for (let step = 0; step < 5; step++) {
      time += 6_000;
      bar.tick();
    }
    expect(text().trimEnd().split('\n').map((line) => line.split(' ')[1])).toEqual(['1/1000', '3/1000', '5/1000']);
  });

  it('redraws one line with a bar on a terminal, and log() keeps it intact', () => {
    const { stream, text } = capture(true);
    let time = 0;
    const bar = progress({ total: 10, stream, now: () => time });
    time += 1000;
    bar.tick({ loss: 1.5 });
    bar.log('eval: k-NN 91.0 %');
    time += 1000;
    bar.tick({}, 4);
    bar.done();
    const output = text();
    expect(output).toContain('\rstep 1/10 [==>                 ] 10.0 %  loss 1.50  1.0 step/s  ETA 9s\x1b[K');
    expect(output).toContain('\r\x1b[Keval: k-NN 91.0 %\n');
    expect(output.endsWith('\x1b[K\n')).toBe(true);
    expect(output).toContain('step 5/10 [==========>         ] 50.0 %');
  });

  it('formats durations', () => {
    expect([formatDuration(51), formatDuration(1251), formatDuration(3 * 3600 + 300), formatDuration(Infinity)]).toEqual(['51s', '20m51s', '3h05m', '?']);
  });
});
