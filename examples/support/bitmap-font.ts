/**
 * A 5×7 pixel font for chart text, after the HD44780 LCD character ROM. Each glyph is seven rows of
 * five bits written as hex pairs, top row first, high bit (0x10) leftmost: '1' is 04 0c 04 04 04 04 0e.
 * g, j, p, q and y have an eighth row, a one-pixel descender below the baseline, so that they do
 * not read as 9, P or Y. Characters without a glyph draw as a hollow box so that they are noticed.
 */
import { type Color, type RgbaImage, fillRect } from './raster.js';

export const glyphWidth = 5;
/** Cap height: the rows above the baseline. Descenders add one row below. */
export const glyphHeight = 7;
export const descenderHeight = 1;
/** Horizontal advance per character at scale 1: the glyph and one pixel of spacing. */
export const glyphAdvance = glyphWidth + 1;

const glyphSource: Record<string, string> = {
  ' ': '00 00 00 00 00 00 00', '0': '0e 11 13 15 19 11 0e', '1': '04 0c 04 04 04 04 0e', '2': '0e 11 01 02 04 08 1f',
  '3': '1f 02 04 02 01 11 0e', '4': '02 06 0a 12 1f 02 02', '5': '1f 10 1e 01 01 11 0e', '6': '06 08 10 1e 11 11 0e',
  '7': '1f 01 02 04 08 08 08', '8': '0e 11 11 0e 11 11 0e', '9': '0e 11 11 0f 01 02 0c',
  A: '0e 11 11 11 1f 11 11', B: '1e 11 11 1e 11 11 1e', C: '0e 11 10 10 10 11 0e', D: '1c 12 11 11 11 12 1c',
  E: '1f 10 10 1e 10 10 1f', F: '1f 10 10 1e 10 10 10', G: '0e 11 10 17 11 11 0f', H: '11 11 11 1f 11 11 11',
  I: '0e 04 04 04 04 04 0e', J: '07 02 02 02 02 12 0c', K: '11 12 14 18 14 12 11', L: '10 10 10 10 10 10 1f',
  M: '11 1b 15 15 11 11 11', N: '11 11 19 15 13 11 11', O: '0e 11 11 11 11 11 0e', P: '1e 11 11 1e 10 10 10',
  Q: '0e 11 11 11 15 12 0d', R: '1e 11 11 1e 14 12 11', S: '0f 10 10 0e 01 01 1e', T: '1f 04 04 04 04 04 04',
  U: '11 11 11 11 11 11 0e', V: '11 11 11 11 11 0a 04', W: '11 11 11 15 15 15 0a', X: '11 11 0a 04 0a 11 11',
  Y: '11 11 11 0a 04 04 04', Z: '1f 01 02 04 08 10 1f',
  a: '00 00 0e 01 0f 11 0f', b: '10 10 16 19 11 11 1e', c: '00 00 0e 10 10 11 0e', d: '01 01 0d 13 11 11 0f',
  e: '00 00 0e 11 1f 10 0e', f: '06 09 08 1c 08 08 08', g: '00 00 0f 11 11 0f 01 0e', h: '10 10 16 19 11 11 11',
  i: '04 00 0c 04 04 04 0e', j: '02 00 06 02 02 02 12 0c', k: '10 10 12 14 18 14 12', l: '0c 04 04 04 04 04 0e',
  m: '00 00 1a 15 15 11 11', n: '00 00 16 19 11 11 11', o: '00 00 0e 11 11 11 0e', p: '00 00 1e 11 11 1e 10 10',
  q: '00 00 0f 11 11 0f 01 01', r: '00 00 16 19 10 10 10', s: '00 00 0e 10 0e 01 1e', t: '08 08 1c 08 08 09 06',
  u: '00 00 11 11 11 13 0d', v: '00 00 11 11 11 0a 04', w: '00 00 11 11 15 15 0a', x: '00 00 11 0a 04 0a 11',
  y: '00 00 11 11 11 0f 01 0e', z: '00 00 1f 02 04 08 1f',
  '.': '00 00 00 00 00 0c 0c', ',': '00 00 00 00 0c 04 08', '-': '00 00 00 1f 00 00 00', '+': '00 04 04 1f 04 04 00',
  '%': '18 19 02 04 08 13 03', ':': '00 0c 0c 00 0c 0c 00', '/': '00 01 02 04 08 10 00', '(': '02 04 08 08 08 04 02',
  ')': '08 04 02 02 02 04 08', '[': '0e 08 08 08 08 08 0e', ']': '0e 02 02 02 02 02 0e', '=': '00 00 1f 00 1f 00 00',
  '_': '00 00 00 00 00 00 1f', '<': '02 04 08 10 08 04 02', '>': '08 04 02 01 02 04 08', '!': '04 04 04 04 04 00 04',
  '?': '0e 11 01 02 04 00 04', "'": '0c 04 08 00 00 00 00', '*': '00 04 15 0e 15 04 00', '|': '04 04 04 04 04 04 04',
  '#': '0a 0a 1f 0a 1f 0a 0a', '&': '0c 12 14 08 15 12 0d', '×': '00 11 0a 04 0a 11 00',
};

const missingGlyph = rowsOf('1f 11 11 11 11 11 1f');
const glyphs = new Map(Object.entries(glyphSource).map(([character, rows]) => [character, rowsOf(rows)]));

function rowsOf(source: string): readonly number[] {
  return source.split(' ').map((pair) => parseInt(pair, 16));
}

/** The glyph of `character` as seven (eight with a descender) 5-bit rows; bit 4 is the leftmost pixel. */
export function glyphRows(character: string): readonly number[] {
  return glyphs.get(character) ?? missingGlyph;
}

export function hasGlyph(character: string): boolean {
  return glyphs.has(character);
}

/** The glyph as strings of '#' and '.', one per row, for tests and for looking at. */
export function glyphPicture(character: string): string[] {
  return glyphRows(character).map((row) => Array.from({ length: glyphWidth }, (_, bit) => (row & (0x10 >> bit) ? '#' : '.')).join(''));
}

export function textWidth(text: string, scale = 1): number {
  const length = [...text].length;
  return length === 0 ? 0 : (length * glyphAdvance - 1) * scale;
}

/** The height text occupies, descenders included. */
export function textHeight(scale = 1): number {
  return (glyphHeight + descenderHeight) * scale;
}

export type TextOptions = { color?: Color; scale?: number; align?: 'left' | 'center' | 'right'; rotate?: boolean };

/**
 * Draws `text` with its top-left corner at (x, y) (or its top centre / top right with `align`).
 * `rotate` turns it 90° counter-clockwise, reading bottom to top, for y-axis labels: x is then the
 * left edge and y the top, centre or bottom of the rotated text for align left, center or right.
 */
export function drawText(image: RgbaImage, text: string, x: number, y: number, options: TextOptions = {}): void {
  const { color = [0, 0, 0], scale = 1, align = 'left', rotate = false } = options;
  const width = textWidth(text, scale);
  const shift = align === 'center' ? Math.round(width / 2) : align === 'right' ? width : 0;
  [...text].forEach((character, index) => {
    glyphRows(character).forEach((bits, row) => {
      for (let column = 0; column < glyphWidth; column++) {
        if (!(bits & (0x10 >> column))) continue;
        const along = (index * glyphAdvance + column) * scale;
        if (rotate) fillRect(image, x + row * scale, y - shift + width - along - scale, scale, scale, color);
        else fillRect(image, x - shift + along, y + row * scale, scale, scale, color);
      }
    });
  });
}
