/** Grey digits and attention maps drawn into a canvas, cell by cell (nearest-neighbour upscaling). */

/** A perceptual dark-to-bright ramp (black, purple, orange, yellow) for attention. */
const ramp = [
  [0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164],
] as const;

function heat(t: number): [number, number, number] {
  const scaled = Math.min(0.9999, Math.max(0, t)) * (ramp.length - 1);
  const index = Math.floor(scaled);
  const f = scaled - index;
  const [a, b] = [ramp[index], ramp[index + 1]];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/**
 * Draws `values` (side × side, row-major) at (x, y), `size` pixels square: grey for a digit in
 * [0, 1], or the heat ramp for a map stretched from its own minimum to its maximum (attention
 * near uniform still shows where it leans).
 */
export function drawCell(context: CanvasRenderingContext2D, values: ArrayLike<number>, side: number, x: number, y: number, size: number, kind: 'grey' | 'heat'): void {
  const image = context.createImageData(side, side);
  let [least, most] = [Infinity, -Infinity];
  for (let i = 0; i < side * side; i++) [least, most] = [Math.min(least, values[i]), Math.max(most, values[i])];
  const span = most - least;
  for (let i = 0; i < side * side; i++) {
    const [r, g, b] = kind === 'grey' ? [255 * values[i], 255 * values[i], 255 * values[i]] : heat(span > 0 ? (values[i] - least) / span : 0);
    image.data.set([r, g, b, 255], 4 * i);
  }
  const cell = document.createElement('canvas');
  cell.width = cell.height = side;
  cell.getContext('2d')!.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(cell, x, y, size, size);
}
