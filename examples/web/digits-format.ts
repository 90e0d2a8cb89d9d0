/**
 * The `mnist` package's 10,000 digits as one small binary asset for the page: ten little-endian
 * uint32 image counts (digits 0…9), then every grey level as a byte, digit by digit. The package
 * stores each level as byte/255 rounded to three decimals, so `decodeDigits` gives back exactly the
 * values `loadMnist` reads in Node (the encoder refuses a level that would not come back so).
 */
const pixelsPerImage = 28 * 28;
const digitCount = 10;

function level(byte: number): number {
  return Math.round((byte / 255) * 1000) / 1000;
}

/** Arguments: `images[d]`, digit d's n·784 grey levels in [0, 1]. Returns the asset's bytes. */
export function encodeDigits(images: readonly Float32Array[]): Uint8Array {
  if (images.length !== digitCount) throw new Error(`encodeDigits: expected ${digitCount} digits, got ${images.length}`);
  const total = images.reduce((sum, pixels) => sum + pixels.length, 0);
  const out = new Uint8Array(4 * digitCount + total);
  const view = new DataView(out.buffer);
  let at = 4 * digitCount;
  images.forEach((pixels, digit) => {
    view.setUint32(4 * digit, pixels.length / pixelsPerImage, true);
    for (const value of pixels) {
      const byte = Math.round(value * 255);
      if (Math.fround(level(byte)) !== value) throw new Error(`encodeDigits: grey level ${value} of digit ${digit} is not byte/255 rounded to three decimals`);
      out[at++] = byte;
    }
  });
  return out;
}

/** The inverse of `encodeDigits`: ten Float32Arrays of n·784 grey levels. */
export function decodeDigits(bytes: Uint8Array): Float32Array[] {
  if (bytes.length < 4 * digitCount) throw new Error(`decodeDigits: ${bytes.length} bytes is too short for the ${digitCount} counts`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const levels = Float32Array.from({ length: 256 }, (_, byte) => level(byte));
  const images: Float32Array[] = [];
  let at = 4 * digitCount;
  for (let digit = 0; digit < digitCount; digit++) {
    const size = view.getUint32(4 * digit, true) * pixelsPerImage;
    if (at + size > bytes.length) throw new Error(`decodeDigits: digit ${digit} needs ${size} bytes, ${bytes.length - at} are left`);
    const pixels = new Float32Array(size);
    for (let i = 0; i < size; i++) pixels[i] = levels[bytes[at + i]];
    images.push(pixels);
    at += size;
  }
  return images;
}
