/**
 * A progress line for long training loops:
 *   step 120/3000 [=====>      ] 4.0 %  loss 9.12  H 6.90  KL 0.012  2.3 step/s  ETA 20m51s
 * On a terminal it redraws one line in place (at most every `redrawMs`); elsewhere (CI, pipes, files)
 * it prints a plain line, without the bar, every `everySteps` steps or every `everySeconds`, and at
 * the end (`done` prints the last line, with the total time). Use `log` to print other lines
 * without tearing the bar.
 */
import { formatValue } from './number-format.js';

export type ProgressFields = Record<string, number | string>;

export type ProgressOptions = {
  total: number;
  /** The word before the count (default 'step'); also the unit of the rate. */
  label?: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Overrides `stream.isTTY`. */
  interactive?: boolean;
  /** Non-interactive: print at each multiple of this many steps (default total / 20, at least 1)… */
  everySteps?: number;
  /** …or when this much time has passed since the last line (default 10). */
  everySeconds?: number;
  redrawMs?: number;
  /** Milliseconds clock, for tests. */
  now?: () => number;
};

export type Progress = {
  /** Advances by `steps` (default 1) and shows `fields` after the percentage. */
  tick(fields?: ProgressFields, steps?: number): void;
  /** Prints a line of its own above the bar. */
  log(message: string): void;
  /** Prints the final line (with the total time) and ends it. */
  done(fields?: ProgressFields): void;
};

const barWidth = 20;
/** The rate is measured over the last this many ticks, so that warm-up does not skew the ETA. */
const rateWindow = 50;

export function progress(options: ProgressOptions): Progress {
  const { total, label = 'step', stream = process.stdout, now = () => performance.now() } = options;
  const interactive = options.interactive ?? Boolean(stream.isTTY);
  const everySteps = options.everySteps ?? Math.max(1, Math.round(total / 20));
  const everyMs = (options.everySeconds ?? 10) * 1000;
  const redrawMs = options.redrawMs ?? 100;
  const started = now();
  const history: { time: number; step: number }[] = [{ time: started, step: 0 }];
  let step = 0;
  let fields: ProgressFields = {};
  let lastPrint = -Infinity;
  let lastPrintedStep = 0;
  let barShown = false;
  let finished = false;

  const rate = (): number => {
    const first = history[0];
    const last = history[history.length - 1];
    return last.time > first.time ? ((last.step - first.step) * 1000) / (last.time - first.time) : NaN;
  };
  const line = (withBar: boolean, final: boolean): string => {
    const fraction = total > 0 ? Math.min(1, step / total) : 1;
    const parts = [`${label} ${step}/${total}`];
    if (withBar) parts.push(bar(fraction));
    parts.push(`${(fraction * 100).toFixed(1)} %`);
    const shown = Object.entries(fields).map(([name, value]) => `${name} ${typeof value === 'number' ? formatValue(value) : value}`);
    const perSecond = rate();
    const timing = final
      ? [`${formatRate(perSecond, label)}`, `took ${formatDuration((now() - started) / 1000)}`]
      : [formatRate(perSecond, label), `ETA ${Number.isFinite(perSecond) && perSecond > 0 ? formatDuration((total - step) / perSecond) : '?'}`];
    return [parts.join(' '), ...shown, ...timing].join('  ');
  };
  const draw = (final: boolean) => {
    let text = line(true, final);
    if (stream.columns && text.length >= stream.columns) text = text.slice(0, stream.columns - 1);
    stream.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    barShown = !final;
  };
  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[K');
    barShown = false;
  };

  return {
    tick(newFields = {}, steps = 1) {
      if (finished) return;
      step += steps;
      fields = { ...fields, ...newFields };
      const time = now();
      history.push({ time, step });
      if (history.length > rateWindow + 1) history.shift();
      if (interactive) {
        if (time - lastPrint >= redrawMs || step >= total) {
          draw(false);
          lastPrint = time;
        }
      } else if (step < total && (step === steps || Math.floor(step / everySteps) > Math.floor(lastPrintedStep / everySteps) || time - lastPrint >= everyMs)) {
        stream.write(`${line(false, false)}\n`);
        lastPrint = time;
        lastPrintedStep = step;
      }
    },
    log(message) {
      clearBar();
      stream.write(`${message}\n`);
      if (interactive && !finished && step > 0) draw(false);
    },
    done(newFields = {}) {
      if (finished) return;
      finished = true;
      fields = { ...fields, ...newFields };
      if (interactive) draw(true);
      else stream.write(`${line(false, true)}\n`);
    },
  };
}

function bar(fraction: number): string {
  const filled = Math.floor(fraction * barWidth);
  if (filled >= barWidth) return `[${'='.repeat(barWidth)}]`;
  return `[${'='.repeat(filled)}>${' '.repeat(barWidth - filled - 1)}]`;
}

function formatRate(perSecond: number, label: string): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `? ${label}/s`;
  if (perSecond < 0.5) return `${(1 / perSecond).toFixed(1)} s/${label}`;
  return `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1)} ${label}/s`;
}

/** 51s, 20m51s, 3h05m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}
