/**
 * A WebAssembly kernel that copies a strided view of up to four axes into row-major order: the copy
 * behind a transposed matmul operand, a reshape of a transposed tensor, a column broadcast. V8's loop
 * over a view costs 3–9 ns an element on the machines measured (bounds checks, an odometer per short
 * row); this one is four nested loops of plain loads and stores over running addresses.
 *
 *   stridedCopy(source, target, size0 … size3, stride0 … stride3)
 *   stridedCopyVectors(…)   the same, four floats a step along the innermost axis
 *
 * copies target[i0, i1, i2, i3] = source[i0·stride0 + i1·stride1 + i2·stride2 + i3·stride3], with
 * byte addresses and byte strides (any sign); every size must be at least 1.
 */
import { FunctionBuilder } from '../emitter.js';

export type StridedCopyExport = (source: number, target: number, ...sizesThenStrides: number[]) => void;

export const stridedCopyAxes = 4;

/**
 * `stridedCopy` moves one float per innermost step; `stridedCopyVectors` moves four (a v128, unaligned),
 * for an innermost axis that is contiguous in the source and a multiple of 4 long (the 16-float rows
 * of attention's heads), its size then counted in vectors and its stride 16 bytes.
 */
export function stridedCopyFunction(unit: 'float' | 'vector'): FunctionBuilder {
  const f = new FunctionBuilder(unit === 'float' ? 'stridedCopy' : 'stridedCopyVectors', Array<'i32'>(2 + 2 * stridedCopyAxes).fill('i32'));
  const [source, target] = [0, 1];
  const size = (axis: number) => 2 + axis;
  const stride = (axis: number) => 2 + stridedCopyAxes + axis;
  const pointers = f.locals('i32', stridedCopyAxes);
  const counters = f.locals('i32', stridedCopyAxes);
  // axis a starts at the address its outer axis has reached, walks its size, then steps the outer one
  const nest = (axis: number): void => {
    f.get(axis === 0 ? source : pointers[axis - 1]).set(pointers[axis]);
    f.get(size(axis)).set(counters[axis]);
    f.loop((next) => {
      if (axis === stridedCopyAxes - 1 && unit === 'float') {
        f.get(target).get(pointers[axis]).f32Load().f32Store();
        f.addTo(target, 4);
      } else if (axis === stridedCopyAxes - 1) {
        f.get(target).get(pointers[axis]).v128Load().v128Store();
        f.addTo(target, 16);
      } else {
        nest(axis + 1);
      }
      f.get(pointers[axis]).get(stride(axis)).i32Add().set(pointers[axis]);
      f.addTo(counters[axis], -1);
      f.get(counters[axis]).brIf(next);
    });
  };
  nest(0);
  return f;
}
