/** A small line chart on a canvas: one or more series against the step, with dashed reference lines. */
export interface ChartSeries {
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
}

export interface ChartOptions {
  /** Horizontal dashed lines (e.g. ln K, the baselines). */
  readonly references?: readonly { readonly value: number; readonly color: string }[];
  /** The last step, so the x axis does not rescale as points arrive. */
  readonly maxStep: number;
}

export function drawChart(canvas: HTMLCanvasElement, series: readonly ChartSeries[], options: ChartOptions): void {
  const context = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const margin = { left: 44, right: 8, top: 8, bottom: 20 };
  context.clearRect(0, 0, width, height);
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  const values = [...series.flatMap((line) => line.points.map(([, value]) => value)), ...(options.references ?? []).map((line) => line.value)].filter(Number.isFinite);
  if (values.length === 0) return;
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high - low < 1e-9) [low, high] = [low - 0.5, high + 0.5];
  const pad = (high - low) * 0.05;
  [low, high] = [low - pad, high + pad];
  const x = (step: number) => margin.left + (step / Math.max(1, options.maxStep)) * (width - margin.left - margin.right);
  const y = (value: number) => margin.top + (1 - (value - low) / (high - low)) * (height - margin.top - margin.bottom);
  context.strokeStyle = '#ccc';
  context.strokeRect(margin.left, margin.top, width - margin.left - margin.right, height - margin.top - margin.bottom);
  context.fillStyle = '#555';
  context.font = '10px sans-serif';
  context.textAlign = 'right';
  for (const value of [low + pad, (low + high) / 2, high - pad]) context.fillText(format(value), margin.left - 4, y(value) + 3);
  context.textAlign = 'center';
  context.fillText('0', x(0), height - 6);
  context.fillText(String(options.maxStep), x(options.maxStep) - 8, height - 6);
  context.setLineDash([4, 3]);
  for (const line of options.references ?? []) {
    context.strokeStyle = line.color;
    context.beginPath();
    context.moveTo(margin.left, y(line.value));
    context.lineTo(width - margin.right, y(line.value));
    context.stroke();
  }
  context.setLineDash([]);
  for (const line of series) {
    context.strokeStyle = line.color;
    context.fillStyle = line.color;
    context.lineWidth = 1.5;
    context.beginPath();
    line.points.forEach(([step, value], index) => (index === 0 ? context.moveTo(x(step), y(value)) : context.lineTo(x(step), y(value))));
    context.stroke();
    if (line.points.length < 30) for (const [step, value] of line.points) context.fillRect(x(step) - 1.5, y(value) - 1.5, 3, 3);
  }
}

function format(value: number): string {
  const size = Math.abs(value);
  return size >= 100 ? value.toFixed(0) : size >= 1 ? value.toFixed(2) : value.toPrecision(2);
}
