/**
 * Time spent per op while a function runs, for finding where a training step goes. The one hook is in
 * `core/op.ts`, where every op (eager, or replayed by `jit`) hands its kernel to the backend; with no
 * profile active it costs one null check. An op's time is its dispatch: layout, argument copies, the
 * kernel and the wrapping of its output; what runs around the ops (shape rules, tapes, pytree walks,
 * the host code of a step) is the rest of the step's time. Each entry also says which implementation
 * made the op's outputs, so a profile shows where a backend's own kernels ran.
 *
 *   const { result, profile } = profileOps(() => step(state, batch));
 *   console.log(formatOpProfile(profile, stepMs));
 */
import type { OutputSource } from './op.js';


/**
 * One op class (an op name, or a fused kernel's name: `fused[mul+add+gelu]`): how often it ran and for
 * how long, and how many of its calls each implementation made (`wasm`, `wgsl`: the backend's own
 * kernels; `gpujs`, `reference`: the op's kernel function; `view`, `values`: no kernel call; `threw`:
 * the dispatch threw).
 */
export interface OpProfileEntry {
  readonly op: string;
  readonly calls: number;
  readonly ms: number;
  readonly implementations: Readonly<Partial<Record<ProfiledSource, number>>>;
}

export type ProfiledSource = OutputSource | 'threw';

class OpProfile {
  private readonly entries = new Map<string, { calls: number; ms: number; implementations: Partial<Record<ProfiledSource, number>> }>();

  record(op: string, ms: number, source: ProfiledSource): void {
    let entry = this.entries.get(op);
    if (!entry) this.entries.set(op, (entry = { calls: 0, ms: 0, implementations: {} }));
    entry.calls++;
    entry.ms += ms;
    entry.implementations[source] = (entry.implementations[source] ?? 0) + 1;
  }

  /** Slowest first. */
  sorted(): OpProfileEntry[] {
    return [...this.entries].map(([op, entry]) => ({ op, ...entry })).sort((a, b) => b.ms - a.ms);
  }
}

let active: OpProfile | null = null;

/** The profile collecting now, or null (the hook's one check). */
export function activeOpProfile(): OpProfile | null {
  return active;
}

/** Runs `fn` and returns what it returned with the time and calls of every op it ran, slowest first. */
export function profileOps<T>(fn: () => T): { result: T; profile: OpProfileEntry[] } {
  const outer = active;
  const profile = new OpProfile();
  active = profile;
  try {
    const result = fn();
    return { result, profile: profile.sorted() };
  } finally {
    active = outer;
  }
}

/**
 * A table of the profile: each op class with the implementations that ran it, ms, share of `totalMs` (the step's wall time, when given), calls and
 * µs a call per op class, and a last line with the ops' total and what the step spent outside them.
 */
export function formatOpProfile(profile: readonly OpProfileEntry[], totalMs?: number): string {
  const opsMs = profile.reduce((sum, entry) => sum + entry.ms, 0);
  const calls = profile.reduce((sum, entry) => sum + entry.calls, 0);
  const whole = totalMs ?? opsMs;
  const rows = profile.map((entry) => [`${entry.op} (${Object.keys(entry.implementations).join(', ')})`, entry.ms.toFixed(1), `${((100 * entry.ms) / whole).toFixed(1)} %`, String(entry.calls), ((1000 * entry.ms) / entry.calls).toFixed(1)]);
  const header = ['op', 'ms', 'share', 'calls', 'µs/call'];
  const widths = header.map((_, column) => Math.max(header[column].length, ...rows.map((cells) => cells[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  const footer = `${calls} op calls, ${opsMs.toFixed(1)} ms in ops` + (totalMs === undefined ? '' : ` of ${totalMs.toFixed(1)} ms (${(totalMs - opsMs).toFixed(1)} ms outside them)`);
  return [line(header), ...rows.map(line), footer].join('\n');
}
