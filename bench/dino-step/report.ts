/**
 * The DINO-step table: one row per implementation and backend, with ms/step (median [min–max]),
 * the ratio of tapegrad's best median to the row's (above 1: the row is faster than tapegrad's best),
 * the first step (compilation included), matmul 512³ GFLOP/s, peak RSS, the sanity results, and
 * the notes as footnotes.
 */
import type { DinoBenchResult } from './harness.js';

/** A row that ran, or one that did not (not implemented, skipped, failed) with the reason. */
export type RowOutcome =
  | { readonly library: string; readonly backend: string; readonly mode: string; readonly result: DinoBenchResult }
  | { readonly library: string; readonly backend: string; readonly mode: string; readonly message: string };

export interface Agreement {
  readonly reference: string;
  /** Per implementation: its losses over 3 steps on one batch without drop path, and the largest gap to the reference's. */
  readonly rows: { readonly label: string; readonly losses?: number[]; readonly maxDifference?: number; readonly error?: string }[];
  readonly tolerance: number;
}

const fixed = (value: number, digits: number) => value.toFixed(digits);

export const rowLabel = (row: { library: string; backend: string; mode: string }) => `${row.library} ${row.backend} ${row.mode}`;

/** The smallest median ms/step among tapegrad's rows, if any ran. */
export function tapegradBest(rows: readonly RowOutcome[]): number | undefined {
  const medians = rows.flatMap((row) => ('result' in row && row.library === 'tapegrad' ? [row.result.step.medianMs] : []));
  return medians.length > 0 ? Math.min(...medians) : undefined;
}

/** PyTorch's median ms/step, if its row ran. */
function torchMedian(rows: readonly RowOutcome[]): number | undefined {
  const row = rows.find((candidate) => 'result' in candidate && candidate.library === 'torch');
  return row && 'result' in row ? row.result.step.medianMs : undefined;
}

export function formatTable(rows: readonly RowOutcome[]): string {
  const best = tapegradBest(rows);
  const torch = torchMedian(rows);
  const notes: string[] = [];
  const footnote = (text: string) => {
    const index = notes.indexOf(text);
    if (index >= 0) return index + 1;
    notes.push(text);
    return notes.length;
  };
  const header = ['implementation', 'ms/step median [min–max]', 'tapegrad-best / this', 'this / torch', 'first step ms', 'matmul 512³ GFLOP/s', 'peak RSS MiB', 'step-0 loss', 'KL falls', 'notes'];
  const table = rows.map((row) => {
    if (!('result' in row)) return [rowLabel(row), row.message];
    const { step, matmul512, sanity, firstStepMs, peakRssMiB } = row.result;
    const marks = row.result.notes.map(footnote).map((n) => `[${n}]`).join('');
    return [
      rowLabel(row),
      `${fixed(step.medianMs, 1)} [${fixed(step.minMs, 1)}–${fixed(step.maxMs, 1)}]`,
      best === undefined ? '—' : fixed(best / step.medianMs, 2),
      torch === undefined ? '—' : fixed(step.medianMs / torch, 2),
      fixed(firstStepMs, 0),
      `${fixed(matmul512.gflops, 2)} [${fixed(matmul512.minGflops, 2)}–${fixed(matmul512.maxGflops, 2)}]`,
      fixed(peakRssMiB, 0),
      `${fixed(sanity.initialLoss, 4)}${sanity.initialLossOk ? '' : ' (outside window)'}`,
      sanity.klFalls ? 'yes' : 'NO',
      marks,
    ];
  });
  // a row that did not run holds one message, which may run across the columns after the label
  const measured = [header, ...table.filter((cells) => cells.length === header.length)];
  const widths = header.map((_, column) => Math.max(...measured.map((cells) => cells[column].length), column === 0 ? Math.max(...table.map((cells) => cells[0].length)) : 0));
  const lines = [header, ...table].map((cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  const legend = 'tapegrad-best / this: the best tapegrad median over this row\'s; above 1, this row is faster than tapegrad\'s best. this / torch: this row\'s median over PyTorch\'s (how many times PyTorch\'s time)';
  return [...lines, legend, ...notes.map((note, i) => `[${i + 1}] ${note}`)].join('\n');
}

export function formatAgreement(agreement: Agreement): string {
  const lines = [`losses over 3 steps on one batch, drop path 0, against ${agreement.reference} (tolerance ${agreement.tolerance}):`];
  for (const row of agreement.rows) {
    if (row.error !== undefined) lines.push(`  ${row.label}: ${row.error}`);
    else {
      const verdict = row.maxDifference! <= agreement.tolerance ? 'agrees' : 'DIFFERS';
      lines.push(`  ${row.label}: ${row.losses!.map((loss) => loss.toFixed(5)).join(' → ')}  max |Δ| ${row.maxDifference!.toExponential(1)} ${verdict}`);
    }
  }
  return lines.join('\n');
}
