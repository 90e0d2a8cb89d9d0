import type { HostKernel } from '../kernel.js';
import type { OpName } from '../ops/names.js';

/**
 * A backend's own implementations of some ops, by op name: where the table has an entry, the backend
 * runs it instead of the op's kernel function. Typed over `OpName`, so an entry for an op that does
 * not exist does not compile; the op files never see these tables.
 */
export type KernelTable<Kernel> = { readonly [Name in OpName]?: Kernel };

/** Host implementations (float32, on the calling thread or its workers), e.g. WebAssembly SIMD. */
export type HostKernelTable = KernelTable<HostKernel>;
