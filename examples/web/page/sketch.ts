/**
 * The "draw a digit" pad: strokes on a large canvas, turned into a 28×28 digit framed as MNIST's are
 * (the ink's bounding box scaled into 20×20, its centre of mass moved to the centre).
 */
const side = 28;

export function sketchPad(canvas: HTMLCanvasElement, onChange: (pixels: Float32Array) => void): { clear(): void } {
  const context = canvas.getContext('2d')!;
  let drawing = false;
  let last: [number, number] | undefined;
  let pending = false;
  const clear = () => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  const point = (event: PointerEvent): [number, number] => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
  };
  const report = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      const pixels = digitPixels(canvas);
      if (pixels) onChange(pixels);
    }, 120);
  };
  canvas.addEventListener('pointerdown', (event) => {
    drawing = true;
    last = point(event);
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing || !last) return;
    const next = point(event);
    context.strokeStyle = '#fff';
    context.lineWidth = canvas.width / 12;
    context.lineCap = 'round';
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...next);
    context.stroke();
    last = next;
    report();
  });
  const stop = () => {
    drawing = false;
    last = undefined;
    report();
  };
  canvas.addEventListener('pointerup', stop);
  canvas.addEventListener('pointercancel', stop);
  return { clear };
}

/** The pad's ink as a 28×28 digit in [0, 1], or undefined when it is empty. */
export function digitPixels(canvas: HTMLCanvasElement): Float32Array | undefined {
  const { width, height } = canvas;
  const ink = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[4 * (y * width + x)] > 32) [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
    }
  }
  if (right < 0) return undefined;
  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const scale = 20 / Math.max(boxWidth, boxHeight);
  const small = document.createElement('canvas');
  small.width = small.height = side;
  const smallContext = small.getContext('2d')!;
  smallContext.fillStyle = '#000';
  smallContext.fillRect(0, 0, side, side);
  smallContext.imageSmoothingQuality = 'high';
  const [drawWidth, drawHeight] = [boxWidth * scale, boxHeight * scale];
  smallContext.drawImage(canvas, left, top, boxWidth, boxHeight, (side - drawWidth) / 2, (side - drawHeight) / 2, drawWidth, drawHeight);
  const data = smallContext.getImageData(0, 0, side, side).data;
  const framed = Float32Array.from({ length: side * side }, (_, i) => data[4 * i] / 255);
  return centredByMass(framed);
}

function centredByMass(pixels: Float32Array): Float32Array {
  let [total, sumX, sumY] = [0, 0, 0];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const value = pixels[y * side + x];
      total += value;
      sumX += value * x;
      sumY += value * y;
    }
  }
  const shiftX = Math.round((side - 1) / 2 - sumX / total);
  const shiftY = Math.round((side - 1) / 2 - sumY / total);
  const out = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const [fromX, fromY] = [x - shiftX, y - shiftY];
      if (fromX >= 0 && fromX < side && fromY >= 0 && fromY < side) out[y * side + x] = pixels[fromY * side + fromX];
    }
  }
  return out;
}
