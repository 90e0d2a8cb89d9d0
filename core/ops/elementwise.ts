import { type DType, requireFloat, sameDType } from '../dtype.js';
import { ShapeError, formatShape } from '../errors.js';
import type { KernelFunction } from '../kernel.js';
import type { OpDef } from '../op.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { OpName } from './names.js';

export interface ElementwiseSpec<Name extends OpName, Attrs, Saved extends object> {
  readonly name: Name;
  readonly args: readonly string[];
  readonly kernel: KernelFunction;
  readonly constants?: (attrs: Attrs, dtype: DType) => Record<string, number>;
  readonly helpers?: readonly ((...args: number[]) => number)[];
  /** Whether int32 inputs are accepted (arithmetic that stays exact on integers). */
  readonly integers?: boolean;
  readonly save: OpDef<Attrs, Saved, Name>['save'];
  readonly vjp: OpDef<Attrs, Saved, Name>['vjp'];
}

/**
 * An op that maps inputs of one shape and dtype element by element: output[i] = f(a[i], b[i], …).
 * Broadcasting happens before, in the public functions, as recorded `broadcastTo` ops whose vjp sums
 * the cotangent back down, so every elementwise vjp is unbroadcast without saying so.
 */
export function elementwiseOp<Name extends OpName, Attrs = {}, Saved extends object = {}>(spec: ElementwiseSpec<Name, Attrs, Saved>): OpDef<Attrs, Saved, Name> {
  return {
    name: spec.name,
    args: spec.args,
    infer(inputs: readonly Tensor[]) {
      const dtype = sameDType(spec.name, inputs.map((t) => t.dtype), spec.args);
      if (!spec.integers) requireFloat(spec.name, spec.args[0], dtype);
      inputs.forEach((t, i) => {
        if (!sameShape(t.shape, inputs[0].shape)) {
          throw new ShapeError(
            `${spec.name}: ${spec.args[i]} has shape ${formatShape(t.shape)} but ${spec.args[0]} has ${formatShape(inputs[0].shape)}`,
          );
        }
      });
      return { shape: inputs[0].shape, dtype };
    },
    forward: (_inputs, attrs, out) => ({ kernel: spec.kernel, constants: spec.constants?.(attrs, out.dtype), helpers: spec.helpers }),
    save: spec.save,
    vjp: spec.vjp,
  };
}
