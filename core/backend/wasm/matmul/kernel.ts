/**
 * Generates the float32 matmul module: a B-packing routine and a register-blocked micro-kernel over
 * row-major A and packed B, both as WebAssembly SIMD.
 *
 * Layout. B (k × n, row-major) is packed into ⌈n / nr⌉ column panels; panel p holds, for each of the k
 * rows, the nr floats of columns p·nr … p·nr + nr − 1, zero-padded past n. A stays row-major. The
 * kernel computes an mr × nr tile of C in mr·nr/4 v128 accumulators: per step of k it loads nr/4
 * vectors of the panel and splats one element of each of the mr rows of A, so every element of C is
 * the sum over k in ascending order, whichever thread computes it. Edge tiles (fewer than mr rows or
 * nr columns) go through a per-thread scratch tile and a scalar copy; rows past the last are never
 * read (their row pointers repeat the last row) and never written.
 */
import { FunctionBuilder, emitModule, type FunctionDefinition, type Label } from '../emitter.js';
import { transposeFunction } from './transpose-kernel.js';
import { gemmUnpacked, multiplyAdd } from './unpacked-kernel.js';

export interface KernelShape {
  /** Rows of C per micro-tile. */
  readonly rows: number;
  /** Columns of C per micro-tile; a multiple of 4 (one v128 holds 4 floats). */
  readonly columns: number;
  /** Steps of k per iteration of the main loop. */
  readonly unroll: number;
}

/**
 * 4 × 8 in 8 accumulators, not unrolled. V8's TurboFan schedules all loads of a loop body ahead of its
 * arithmetic, so every unrolled step keeps 6 more v128 values live; past x64's 15 usable XMM registers
 * it spills, and 4 × 8 unrolled by 4 ran at ~60% of the speed of this shape (≈ 48 GFLOP/s on one Zen 5
 * core, with its inner loop of 2 loads, 4 splat loads, 8 mul and 8 add, and no spills).
 */
export const defaultKernelShape: KernelShape = { rows: 4, columns: 8, unroll: 1 };

export interface MatmulModuleOptions {
  readonly shape: KernelShape;
  /** Accumulate with relaxed SIMD's f32x4.relaxed_madd (one rounding on hardware with FMA), where the engine has it. */
  readonly fusedMultiplyAdd: boolean;
  /** Import a shared memory (for worker threads) rather than a plain one. */
  readonly shared: boolean;
  readonly initialPages: number;
  readonly maximumPages: number;
}

/** Bytes of the scratch tile that edge tiles of C pass through. */
export const scratchTileBytes = (shape: KernelShape): number => shape.rows * shape.columns * 4;

/** Bytes that B (k × n) occupies once packed. */
export function packedBytes(shape: KernelShape, k: number, n: number): number {
  return Math.ceil(n / shape.columns) * k * shape.columns * 4;
}

/**
 * `packB(source, packed, k, n)`: packs row-major B at byte address `source` into panels at `packed`.
 * Reads up to nr − 1 floats past the end of the last row of B (the caller leaves that slack).
 */
function packB(shape: KernelShape): FunctionDefinition {
  const f = new FunctionBuilder('packB', ['i32', 'i32', 'i32', 'i32']);
  const [source, packed, k, n] = [0, 1, 2, 3];
  const [column, columns, sourceRow, packedEnd, rowBytes] = f.locals('i32', 5);
  const width = shape.columns;
  f.get(n).i32Const(2).i32Shl().set(rowBytes);
  f.get(k).i32Eqz().ifElse(() => f.i32Const(0).set(n)); // k = 0: no panel has rows, so pack nothing
  f.i32Const(0).set(column);
  f.block((done) => {
    f.loop((panels) => {
      f.get(column).get(n).i32GeS().brIf(done);
      minimum(f, columns, () => f.get(n).get(column).i32Sub(), width);
      f.get(source).get(column).i32Const(2).i32Shl().i32Add().set(sourceRow);
      f.get(packed).get(k).i32Const(width * 4).i32Mul().i32Add().set(packedEnd);
      f.get(columns).i32Const(width).i32Eq().ifElse(
        () => f.loop((rows) => {
          for (let v = 0; v < width / 4; v++) f.get(packed).get(sourceRow).v128Load(16 * v).v128Store(16 * v);
          advanceRow(f, sourceRow, rowBytes, packed, width, packedEnd, rows);
        }),
        () => f.loop((rows) => {
          // select, not a branch: lanes past n read the slack and store 0
          for (let j = 0; j < width; j++) {
            f.get(packed).get(sourceRow).f32Load(4 * j).f32Const(0).i32Const(j).get(columns).i32LtS().select().f32Store(4 * j);
          }
          advanceRow(f, sourceRow, rowBytes, packed, width, packedEnd, rows);
        }),
      );
      f.addTo(column, width).br(panels);
    });
  });
  return f.definition();
}

function advanceRow(f: FunctionBuilder, sourceRow: number, rowBytes: number, packed: number, width: number, packedEnd: number, rows: Label): void {
  f.get(sourceRow).get(rowBytes).i32Add().set(sourceRow);
  f.addTo(packed, width * 4);
  f.get(packed).get(packedEnd).i32LtU().brIf(rows);
}

/** `target = min(value, limit)` for a computed i32 value and a constant limit. */
function minimum(f: FunctionBuilder, target: number, value: () => void, limit: number): void {
  value();
  f.tee(target).i32Const(limit).get(target).i32Const(limit).i32LtS().select().set(target);
}

/**
 * `gemm(a, packed, c, rowStart, rowEnd, k, n, blockColumns, scratch)`: rows rowStart … rowEnd − 1 of
 * C = A·B for row-major A (… × k) at byte address `a`, B packed by `packB` at `packed`, and row-major
 * C (… × n) at `c`. Columns go in blocks of `blockColumns` (a multiple of the tile's columns), each
 * block's panels sized to stay in L2 while every row tile of the band passes over them. `scratch` is
 * this thread's scratch tile.
 */
function gemm(shape: KernelShape, fusedMultiplyAdd: boolean): FunctionDefinition {
  const f = new FunctionBuilder('gemm', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, packed, c, rowStart, rowEnd, k, n, blockColumns, scratch] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const { rows: mr, columns: nr, unroll } = shape;
  const vectors = nr / 4;
  const [row, rowsHere, aRowBytes, cRowBytes, panelBytes, mainBytes, column, columnsHere, panel, bPointer, mainEnd, panelEnd, cPointer, i, j] =
    f.locals('i32', 15);
  const [blockStart, blockEnd, blockPanel] = f.locals('i32', 3);
  const rowBase = f.locals('i32', mr);
  const aPointer = f.locals('i32', mr);
  const accumulator = Array.from({ length: mr }, () => f.locals('v128', vectors));
  const bVector = f.locals('v128', vectors);
  const aSplat = f.local('v128');

  f.get(k).i32Const(2).i32Shl().set(aRowBytes);
  f.get(n).i32Const(2).i32Shl().set(cRowBytes);
  f.get(k).i32Const(nr * 4).i32Mul().set(panelBytes);
  // the unrolled loop covers k rounded down to a multiple of `unroll`; a one-step loop does the rest
  f.get(k).i32Const(-unroll).i32And().i32Const(nr * 4).i32Mul().set(mainBytes);

  /** `unrolledSteps` steps of k: accumulate, then advance the B and A pointers. */
  const steps = (unrolledSteps: number) => {
    for (let u = 0; u < unrolledSteps; u++) {
      for (let v = 0; v < vectors; v++) f.get(bPointer).v128Load((u * nr + 4 * v) * 4).set(bVector[v]);
      for (let r = 0; r < mr; r++) {
        f.get(aPointer[r]).v128Load32Splat(u * 4).set(aSplat);
        for (let v = 0; v < vectors; v++) {
          multiplyAdd(f, accumulator[r][v], aSplat, bVector[v], fusedMultiplyAdd);
        }
      }
    }
    f.addTo(bPointer, unrolledSteps * nr * 4);
    for (let r = 0; r < mr; r++) f.addTo(aPointer[r], unrolledSteps * 4);
  };

  const kLoops = () => {
    f.block((mainDone) => {
      f.get(bPointer).get(mainEnd).i32GeU().brIf(mainDone);
      f.loop((mainLoop) => {
        steps(unroll);
        f.get(bPointer).get(mainEnd).i32LtU().brIf(mainLoop);
      });
    });
    if (unroll === 1) return;
    f.block((tailDone) => {
      f.get(bPointer).get(panelEnd).i32GeU().brIf(tailDone);
      f.loop((tailLoop) => {
        steps(1);
        f.get(bPointer).get(panelEnd).i32LtU().brIf(tailLoop);
      });
    });
  };

  const storeTile = () => {
    f.get(c).get(row).get(cRowBytes).i32Mul().i32Add().get(column).i32Const(2).i32Shl().i32Add().set(cPointer);
    f.get(rowsHere).i32Const(mr).i32Eq().get(columnsHere).i32Const(nr).i32Eq().i32And().ifElse(
      () => {
        for (let r = 0; r < mr; r++) {
          for (let v = 0; v < vectors; v++) f.get(cPointer).get(accumulator[r][v]).v128Store(16 * v);
          if (r < mr - 1) f.get(cPointer).get(cRowBytes).i32Add().set(cPointer);
        }
      },
      () => {
        for (let r = 0; r < mr; r++) {
          for (let v = 0; v < vectors; v++) f.get(scratch).get(accumulator[r][v]).v128Store((r * nr + 4 * v) * 4);
        }
        copyEdgeTile(f, { scratch, cPointer, cRowBytes, rowsHere, columnsHere, i, j, nr });
      },
    );
  };

  const panelLoop = () => {
    f.get(blockPanel).set(panel);
    f.get(blockStart).set(column);
    f.block((columnsDone) => {
      f.loop((panels) => {
        f.get(column).get(blockEnd).i32GeS().brIf(columnsDone);
        minimum(f, columnsHere, () => f.get(n).get(column).i32Sub(), nr);
        for (const vector of accumulator.flat()) f.v128Zero().set(vector);
        for (let r = 0; r < mr; r++) f.get(rowBase[r]).set(aPointer[r]);
        f.get(panel).set(bPointer);
        f.get(panel).get(mainBytes).i32Add().set(mainEnd);
        f.get(panel).get(panelBytes).i32Add().set(panelEnd);
        kLoops();
        storeTile();
        f.get(panel).get(panelBytes).i32Add().set(panel);
        f.addTo(column, nr).br(panels);
      });
    });
  };

  const rowLoop = () => {
    f.get(rowStart).set(row);
    f.block((rowsDone) => {
      f.loop((rowTiles) => {
        f.get(row).get(rowEnd).i32GeS().brIf(rowsDone);
        minimum(f, rowsHere, () => f.get(rowEnd).get(row).i32Sub(), mr);
        // rows past rowsHere repeat the last real row, so nothing outside A is read
        f.get(a).get(row).get(aRowBytes).i32Mul().i32Add().set(rowBase[0]);
        for (let r = 1; r < mr; r++) {
          f.get(rowBase[r - 1]).get(aRowBytes).i32Add().get(rowBase[r - 1]).i32Const(r).get(rowsHere).i32LtS().select().set(rowBase[r]);
        }
        panelLoop();
        f.addTo(row, mr).br(rowTiles);
      });
    });
  };

  f.i32Const(0).set(blockStart);
  f.get(packed).set(blockPanel);
  f.block((blocksDone) => {
    f.loop((blocks) => {
      f.get(blockStart).get(n).i32GeS().brIf(blocksDone);
      f.get(blockStart).get(blockColumns).i32Add().tee(blockEnd).get(n).get(blockEnd).get(n).i32LtS().select().set(blockEnd);
      rowLoop();
      // a panel is k·nr floats, so a block of blockColumns columns is blockColumns·k floats
      f.get(blockColumns).get(aRowBytes).i32Mul().get(blockPanel).i32Add().set(blockPanel);
      f.get(blockStart).get(blockColumns).i32Add().set(blockStart);
      f.br(blocks);
    });
  });
  return f.definition();
}

interface EdgeLocals {
  readonly scratch: number;
  readonly cPointer: number;
  readonly cRowBytes: number;
  readonly rowsHere: number;
  readonly columnsHere: number;
  readonly i: number;
  readonly j: number;
  readonly nr: number;
}

/** Copies the rowsHere × columnsHere corner of the scratch tile into C. */
function copyEdgeTile(f: FunctionBuilder, locals: EdgeLocals): void {
  const { scratch, cPointer, cRowBytes, rowsHere, columnsHere, i, j, nr } = locals;
  f.i32Const(0).set(i);
  f.loop((tileRows) => {
    f.i32Const(0).set(j);
    f.loop((tileColumns) => {
      f.get(cPointer).get(j).i32Const(2).i32Shl().i32Add();
      f.get(scratch).get(i).i32Const(nr * 4).i32Mul().i32Add().get(j).i32Const(2).i32Shl().i32Add().f32Load();
      f.f32Store();
      f.addTo(j, 1).get(j).get(columnsHere).i32LtS().brIf(tileColumns);
    });
    f.get(cPointer).get(cRowBytes).i32Add().set(cPointer);
    f.addTo(i, 1).get(i).get(rowsHere).i32LtS().brIf(tileRows);
  });
}

/** The module's bytes: exports `packB`, `gemm`, `gemmUnpacked` (unpacked-kernel.ts) and `transpose` (transpose-kernel.ts), importing its memory as `env.memory`. */
export function generateMatmulModule(options: MatmulModuleOptions): Uint8Array {
  const { shape } = options;
  if (shape.columns % 4 !== 0 || shape.columns < 4) throw new RangeError(`kernel columns must be a positive multiple of 4, got ${shape.columns}`);
  if (shape.rows < 1) throw new RangeError(`kernel rows must be ≥ 1, got ${shape.rows}`);
  if (shape.unroll < 1 || (shape.unroll & (shape.unroll - 1)) !== 0) throw new RangeError(`kernel unroll must be a power of 2, got ${shape.unroll}`);
  return emitModule({
    memory: { module: 'env', name: 'memory', initialPages: options.initialPages, maximumPages: options.maximumPages, shared: options.shared },
    functions: [packB(shape), gemm(shape, options.fusedMultiplyAdd), gemmUnpacked(options.fusedMultiplyAdd), transposeFunction()],
  });
}

/** The exports of an instance of the generated module. */
export interface MatmulExports {
  packB(source: number, packed: number, k: number, n: number): void;
  gemm(a: number, packed: number, c: number, rowStart: number, rowEnd: number, k: number, n: number, blockColumns: number, scratch: number): void;
  gemmUnpacked(a: number, b: number, c: number, count: number, m: number, k: number, n: number): void;
  transpose(source: number, target: number, rows: number, columns: number, count: number): void;
}
