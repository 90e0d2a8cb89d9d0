import { TransformError, formatShape } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { Program, Ref } from './jit-program.js';
import { programFor } from './jit.js';
import { describeAttrs } from './print-tape.js';

/**
 * The program a jitted function runs for these arguments (tracing it if it has not yet), one line per
 * instruction: `%4 = mul(%2, %3) → float32 [64, 64]  in b1`, or for a fused elementwise chain the ops
 * it runs in one loop, `%9 = fused[mul → add → gelu](%4, c [64], …)`. Arguments are `%0 … %n−1`,
 * constants of the trace `c [shape]`. Where an output lives: `in bK`, planned buffer K (reused by later values once
 * this one is dead), or `unplanned`: a view of its input's memory, memory the kernel makes itself (gpu.js
 * outputs, random draws), or a result, which the caller keeps; `+ bK` names a planned buffer the op uses only while it runs (a
 * contiguous copy of an input). The first line sums up the plan.
 *
 *   console.log(printProgram(jit(step), params, batch));
 */
export function printProgram(jitted: (...args: any[]) => unknown, ...args: unknown[]): string {
  const program = programFor(jitted, args);
  if (!program) throw new TransformError('printProgram: the function must be one that jit returned');
  const ref = (r: Ref) => ('slot' in r ? `%${r.slot}` : `c ${formatShape(r.constant.shape)}`);
  const lines = program.instructions.map((instruction) => {
    const own = instruction.outputBuffer;
    const where = own !== null ? `in b${own}` : 'unplanned';
    const temporaries = instruction.requests.filter((r) => r.buffer !== null && r.buffer !== own).map((r) => ` + b${r.buffer}`).join('');
    const { shape, dtype } = instruction.type;
    const name = instruction.kind === 'fused' ? `fused[${instruction.parts.map((part) => part.op.name).join(' → ')}]` : instruction.op.name;
    return `%${instruction.out} = ${name}(${instruction.inputs.map(ref).join(', ')}${describeAttrs(instruction.attrs)}) → ${dtype} ${formatShape(shape)}  ${where}${temporaries}`;
  });
  return [summary(program), ...lines, `results: ${program.outputs.map(ref).join(', ')}`].join('\n');
}

function summary(program: Program): string {
  const bytes = program.plannedBuffers.reduce((total, { dtype, length }) => total + length * (dtype === 'float64' ? 8 : 4), 0);
  const valueBytes = program.instructions.reduce((total, { type }) => total + sizeOf(type.shape) * (type.dtype === 'float64' ? 8 : 4), 0);
  const abandoned = program.abandoned ? `; plan abandoned at %${program.instructions[program.abandoned.instruction].out} (${program.abandoned.op}): runs op by op` : '';
  const fused = program.instructions.flatMap((instruction) => (instruction.kind === 'fused' ? [instruction.parts.length] : []));
  const fusedText = fused.length > 0 ? ` (${fused.length} fused chains of ${fused.reduce((a, b) => a + b, 0)} ops)` : '';
  return (
    `jit program: ${program.inputCount} arguments, ${program.instructions.length} instructions${fusedText}; ` +
    `${program.plannedBuffers.length} planned buffers, ${(bytes / 2 ** 20).toFixed(2)} MiB, for values totalling ${(valueBytes / 2 ** 20).toFixed(2)} MiB${abandoned}`
  );
}
