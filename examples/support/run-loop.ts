/**
 * The training loop both example harnesses share (dino-mnist, siameseim-mnist): steps until the
 * run's count, `--stop-after` or Ctrl-C, a progress bar, an evaluation every `evalEvery` steps and
 * a checkpoint every `checkpointEvery` (both skipped at the last step, which the harness's final
 * evaluation and checkpoint cover), and the message of a run that stopped early. What a step, an
 * evaluation and a checkpoint are stays with each harness.
 */
import { type ProgressFields, progress } from './progress.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface RunLoopOptions {
  /** The first step to run (the resumed state's step) and the step to stop before. */
  readonly from: number;
  readonly to: number;
  /** The run's step count: evaluations and checkpoints inside the loop stop short of it. */
  readonly total: number;
  readonly stream: Stream;
  /** Runs step `step` (0-based) and returns the fields the progress bar shows after it. */
  readonly step: (step: number) => ProgressFields;
  readonly evalEvery: number;
  /** Evaluates the current state; returns the line to print. */
  readonly evaluate: () => string;
  readonly checkpointEvery: number;
  readonly checkpoint: () => void;
  /** The fields of the bar's last line, from the last step's (default: all of them). */
  readonly summary?: (last: ProgressFields) => ProgressFields;
}

/** Runs the steps; resolves to whether Ctrl-C stopped them. */
export async function runSteps(options: RunLoopOptions): Promise<boolean> {
  const { from, to, total, evalEvery, checkpointEvery } = options;
  let interrupted = false;
  const onInterrupt = () => (interrupted = true);
  process.once('SIGINT', onInterrupt);
  const bar = progress({ total: Math.max(0, to - from), stream: options.stream });
  let last: ProgressFields | undefined;
  try {
    for (let step = from; step < to && !interrupted; step++) {
      last = options.step(step);
      bar.tick(last);
      const done = step + 1;
      if (evalEvery > 0 && done % evalEvery === 0 && done < total) bar.log(`step ${done}: ${options.evaluate()}`);
      if (checkpointEvery > 0 && done % checkpointEvery === 0 && done < total) options.checkpoint();
      await new Promise((resolve) => setImmediate(resolve)); // lets SIGINT in
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  bar.done(last ? (options.summary ?? ((fields) => fields))(last) : {});
  return interrupted;
}

/** The line of a run that stopped before its count, and exit status 130 after Ctrl-C. */
export function reportEarlyStop(write: (line: string) => void, stop: { interrupted: boolean; step: number; total: number; checkpoint: string; resume: string }): void {
  write(`${stop.interrupted ? 'interrupted' : 'stopped'} after step ${stop.step} of ${stop.total}; checkpoint in ${stop.checkpoint}; continue with ${stop.resume}`);
  if (stop.interrupted) process.exitCode = 130;
}
