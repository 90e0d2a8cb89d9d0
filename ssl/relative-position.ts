/**
 * Where view b's patches sit inside view a, and the sin-cos features that tell SiameseIM's decoder
 * so (official `main_pretrain.py: DataAugmentationForSIM` and `util/pos_embed.py`).
 *
 * Each view is a whole-image horizontal flip (maybe) followed by a crop (i, j, h, w) measured in
 * that flipped frame. View a is the online (masked) view, view b the target view.
 */
import { type DType, type Tensor, tensor } from '../core/index.js';
import { OptionError } from '../core/index.js';

/** A crop in pixels: top row i, left column j, height h, width w. */
export interface PixelBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** One view's geometry: whether the whole image was flipped first, and the crop in that frame. */
export interface ViewGeometry {
  readonly box: PixelBox;
  readonly flip: boolean;
}

/** The official 6-tuple (di, dj, dh, dw, relative_flip, flip_dj) of view b relative to view a. */
export interface RelativePosition {
  readonly di: number;
  readonly dj: number;
  readonly dh: number;
  readonly dw: number;
  readonly relativeFlip: boolean;
  readonly flipDj: number;
}

/**
 * di = (i_b − i_a)/h_a, dj = (j_b − j_a)/w_a, dh = h_b/h_a, dw = w_b/w_a,
 * relativeFlip = flip_a xor flip_b, flipDj = (W − j_a − j_b)/w_a, with W the image width.
 */
export function relativePosition(a: ViewGeometry, b: ViewGeometry, imageWidth: number): RelativePosition {
  const { top: ia, left: ja, height: ha, width: wa } = a.box;
  const { top: ib, left: jb, height: hb, width: wb } = b.box;
  return {
    di: (ib - ia) / ha,
    dj: (jb - ja) / wa,
    dh: hb / ha,
    dw: wb / wa,
    relativeFlip: a.flip !== b.flip,
    flipDj: (imageWidth - ja - jb) / wa,
  };
}

/** The identity relation (view b = view a): the MIM baseline, whose features equal the absolute table. */
export const identityRelativePosition: RelativePosition = Object.freeze({ di: 0, dj: 0, dh: 1, dw: 1, relativeFlip: false, flipDj: 1 });

/** A view's crop in the un-flipped source frame: left = W − j − w when the view was flipped. */
export function sourceFrameBox(view: ViewGeometry, imageWidth: number): PixelBox {
  const { box, flip } = view;
  return flip ? { ...box, left: imageWidth - box.left - box.width } : box;
}

/**
 * Centres of view b's patches in view-a patch-index units (view-a patch (r, c) is centred at (r, c)),
 * by the official closed form:
 *   row(r) = dh(r + ½) + G·di − ½
 *   col(c) = dw(c + ½) + G·dj − ½          (no relative flip)
 *   col(c) = G·flipDj − dw(c + ½) − ½      (relative flip)
 * Returns G² pairs [row, col] in view b's row-major order.
 */
export function viewBCentres(relative: RelativePosition, grid: number): [number, number][] {
  checkGrid(grid);
  const { di, dj, dh, dw, relativeFlip, flipDj } = relative;
  const centres: [number, number][] = [];
  for (let r = 0; r < grid; r++) {
    const row = dh * (r + 0.5) + grid * di - 0.5;
    for (let c = 0; c < grid; c++) {
      const col = relativeFlip ? grid * flipDj - dw * (c + 0.5) - 0.5 : dw * (c + 0.5) + grid * dj - 0.5;
      centres.push([row, col]);
    }
  }
  return centres;
}

/**
 * The same centres by geometry (docs/siameseim.md §2.3), an independent oracle for `viewBCentres`: map each
 * view-b patch centre to the source image, undoing view b's mirror, then into view a, applying
 * view a's mirror. Boxes are in each view's own frame, as sampled.
 */
export function viewBCentresGeometric(a: ViewGeometry, b: ViewGeometry, imageWidth: number, grid: number): [number, number][] {
  checkGrid(grid);
  const boxA = sourceFrameBox(a, imageWidth);
  const boxB = sourceFrameBox(b, imageWidth);
  const centres: [number, number][] = [];
  for (let r = 0; r < grid; r++) {
    const ySource = boxB.top + ((r + 0.5) / grid) * boxB.height;
    const row = grid * ((ySource - boxA.top) / boxA.height) - 0.5;
    for (let c = 0; c < grid; c++) {
      const u = (c + 0.5) / grid;
      const xSource = boxB.left + (b.flip ? 1 - u : u) * boxB.width;
      let ua = (xSource - boxA.left) / boxA.width;
      if (a.flip) ua = 1 - ua;
      centres.push([row, grid * ua - 0.5]);
    }
  }
  return centres;
}

export interface SincosOptions {
  /** Element type of the result (default float32). */
  readonly dtype?: DType;
  /** Round the frequencies to float32 as the official code does (default false: float64 ω). */
  readonly float32Omega?: boolean;
}

/** ω_k = 10000^(−k/(width/4)), k = 0 … width/4 − 1, for a 2-D table of width `width`. */
function frequencies(width: number, float32Omega: boolean): Float64Array {
  const quarter = width / 4;
  return Float64Array.from({ length: quarter }, (_, k) => {
    const omega = 1 / 10000 ** (k / quarter);
    return float32Omega ? Math.fround(omega) : omega;
  });
}

/** Writes [sin(xω), cos(xω)] (2·|ω| values) at `offset`. */
function writeSincos(out: Float64Array, offset: number, x: number, omega: Float64Array): void {
  const n = omega.length;
  for (let k = 0; k < n; k++) {
    out[offset + k] = Math.sin(x * omega[k]);
    out[offset + n + k] = Math.cos(x * omega[k]);
  }
}

function checkWidth(what: string, width: number): void {
  if (!Number.isInteger(width) || width <= 0 || width % 4 !== 0) throw new OptionError(`${what}: width must be a positive multiple of 4, got ${width}`);
}

function checkGrid(grid: number): void {
  if (!Number.isInteger(grid) || grid <= 0) throw new OptionError(`grid must be a positive integer, got ${grid}`);
}

/**
 * The fixed 2-D sin-cos table (official `get_2d_sincos_pos_embed`, rows first): the row for patch
 * (r, c) is [sin(rω), cos(rω), sin(cω), cos(cω)], each width/4 wide; with `clsToken` a zero row 0.
 * Returns: [(clsToken ? 1 : 0) + G², width].
 */
export function sincosPositionTable(grid: number, width: number, options: SincosOptions & { readonly clsToken?: boolean } = {}): Tensor {
  const { clsToken = true, dtype = 'float32', float32Omega = false } = options;
  checkGrid(grid);
  checkWidth('sincosPositionTable', width);
  const omega = frequencies(width, float32Omega);
  const first = clsToken ? 1 : 0;
  const out = new Float64Array((first + grid * grid) * width);
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      const offset = (first + r * grid + c) * width;
      writeSincos(out, offset, r, omega);
      writeSincos(out, offset + width / 2, c, omega);
    }
  }
  return tensor(out, { shape: [first + grid * grid, width], dtype });
}

/**
 * Relative features of view b's patches (official `get_2d_sincos_pos_embed_relative`), width 2·width:
 *   [sin(row ω), cos(row ω), sin(col ω), cos(col ω), sin(s_h ω), cos(s_h ω), sin(s_w ω), cos(s_w ω)]
 * each block width/4 wide, with (row, col) from `viewBCentres` and the scale code
 * s_h = 10·ln(dh), s_w = 10·ln(dw). `width` is the decoder width D; decoder_pos_mlp maps 2D → D.
 * Returns: [G², 2·width].
 */
export function relativePositionFeatures(relative: RelativePosition, grid: number, width: number, options: SincosOptions = {}): Tensor {
  return relativePositionFeaturesBatch([relative], grid, width, options).reshape([grid * grid, 2 * width]);
}

/** `relativePositionFeatures` for a batch of relations. Returns: [N, G², 2·width]. */
export function relativePositionFeaturesBatch(relatives: readonly RelativePosition[], grid: number, width: number, options: SincosOptions = {}): Tensor {
  const { dtype = 'float32', float32Omega = false } = options;
  checkWidth('relativePositionFeatures', width);
  const omega = frequencies(width, float32Omega);
  const tokens = grid * grid;
  const out = new Float64Array(relatives.length * tokens * 2 * width);
  relatives.forEach((relative, n) => {
    const scaleRows = 10 * Math.log(relative.dh);
    const scaleCols = 10 * Math.log(relative.dw);
    viewBCentres(relative, grid).forEach(([row, col], t) => {
      const offset = (n * tokens + t) * 2 * width;
      writeSincos(out, offset, row, omega);
      writeSincos(out, offset + width / 2, col, omega);
      writeSincos(out, offset + width, scaleRows, omega);
      writeSincos(out, offset + (3 * width) / 2, scaleCols, omega);
    });
  });
  return tensor(out, { shape: [relatives.length, tokens, 2 * width], dtype });
}
