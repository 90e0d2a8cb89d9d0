import { outputBuffer } from '../buffer-pool.js';
import type { TypedArray } from '../dtype.js';
import type { KernelCall, KernelRun, KernelThis } from '../kernel.js';
import type { Backend, BackendInfo } from './backend.js';

/**
 * The oracle: runs each op's kernel function as plain JavaScript, one call per output element,
 * in the tensor's own dtype (float64 stays float64). Slow, simple, and exact to JavaScript numbers.
 */
export class ReferenceBackend implements Backend {
  readonly name = 'reference' as const;

  run(call: KernelCall): KernelRun {
    return { data: this.runFunction(call), implementation: 'reference' };
  }

  /** The kernel function over every output element, in the call's dtype. */
  runFunction(call: KernelCall): TypedArray {
    const out = outputBuffer(call.dtype, call.size);
    const thread = { x: 0, y: 0, z: 0 };
    const self: KernelThis = { thread, constants: call.constants };
    const { fn, args } = call;
    const [a, b, c] = args;
    // Fixed arities avoid a spread per element.
    switch (args.length) {
      case 0:
        for (let i = 0; i < out.length; i++) (thread.x = i), (out[i] = fn.call(self));
        break;
      case 1:
        for (let i = 0; i < out.length; i++) (thread.x = i), (out[i] = fn.call(self, a));
        break;
      case 2:
        for (let i = 0; i < out.length; i++) (thread.x = i), (out[i] = fn.call(self, a, b));
        break;
      case 3:
        for (let i = 0; i < out.length; i++) (thread.x = i), (out[i] = fn.call(self, a, b, c));
        break;
      default:
        for (let i = 0; i < out.length; i++) (thread.x = i), (out[i] = fn.apply(self, args as TypedArray[]));
    }
    return out;
  }

  info(): BackendInfo {
    return { name: 'reference', mode: 'js', skipped: [], kernelDTypes: ['float32', 'float64', 'int32'], cachedKernels: 0, ownKernels: [] };
  }
}
