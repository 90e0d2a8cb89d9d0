/**
 * A device-side profile of compiled jit programs on WebGPU, for `TAPEGRAD_WEBGPU_PROFILE=1`
 * (`profileOps` cannot see inside a device program: it makes the program run op by op). Each call
 * then submits every pass alone and waits for it (`device-program.js`), so a pass's time includes
 * one submit and one wait: the totals run higher than an unprofiled call, but they say which passes
 * cost what. The summary is printed to stderr when the process exits.
 */

export interface PassTime {
  readonly label: string;
  readonly ms: number;
}

/** Whether `TAPEGRAD_WEBGPU_PROFILE` asks for the profile (read without assuming Node: browsers have no `process`). */
export function passProfileWanted(): boolean {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_WEBGPU_PROFILE;
  return ['1', 'true'].includes(value ?? '');
}

/** Each program's pass times, summed over its calls. */
export class PassProfile {
  private readonly programs = new Map<number, ProgramTimes>();

  add(program: number, times: readonly PassTime[]): void {
    let entry = this.programs.get(program);
    if (!entry) this.programs.set(program, (entry = new ProgramTimes(program)));
    entry.add(times);
  }

  summary(): string {
    if (this.programs.size === 0) return 'tapegrad webgpu pass profile: no device program ran';
    return [...this.programs.values()].map((times) => times.summary()).join('\n');
  }
}

class ProgramTimes {
  private readonly byLabel = new Map<string, { ms: number; count: number }>();
  private calls = 0;

  constructor(private readonly program: number) {}

  add(times: readonly PassTime[]): void {
    this.calls++;
    for (const { label, ms } of times) {
      const entry = this.byLabel.get(label) ?? { ms: 0, count: 0 };
      entry.ms += ms;
      entry.count++;
      this.byLabel.set(label, entry);
    }
  }

  /** Milliseconds per call by pass kind (a label's first word) and the costliest labels. */
  summary(top = 30): string {
    const perCall = (ms: number) => (ms / this.calls).toFixed(1).padStart(8);
    const kinds = new Map<string, { ms: number; count: number }>();
    let total = 0;
    for (const [label, { ms, count }] of this.byLabel) {
      const kind = label.split(' ')[0];
      const entry = kinds.get(kind) ?? { ms: 0, count: 0 };
      entry.ms += ms;
      entry.count += count;
      kinds.set(kind, entry);
      total += ms;
    }
    const lines = [`tapegrad webgpu pass profile of device program ${this.program}: ${this.calls} calls, ${perCall(total).trim()} ms of passes a call (each pass submitted and waited for alone)`, '  ms/call  passes/call  kind'];
    for (const [kind, { ms, count }] of [...kinds].sort((x, y) => y[1].ms - x[1].ms)) lines.push(`${perCall(ms)}  ${(count / this.calls).toFixed(0).padStart(11)}  ${kind}`);
    lines.push('  ms/call  passes/call  pass (op, constants, output size)');
    for (const [label, { ms, count }] of [...this.byLabel].sort((x, y) => y[1].ms - x[1].ms).slice(0, top)) lines.push(`${perCall(ms)}  ${(count / this.calls).toFixed(0).padStart(11)}  ${label}`);
    return lines.join('\n');
  }
}
