// A whole jit program on the device (plain JavaScript, loaded by device-thread.js): the plan that
// program-lowering.ts makes is built once into buffers, pipelines and bind groups, and each call
// uploads the inputs, records every step as a dispatch of one compute pass, copies the outputs into
// one staging buffer and maps it once. Intermediates never leave the device.

// USAGE and MAP_MODE values are fixed by the WebGPU spec
const STORAGE = 0x0080, UNIFORM = 0x0040, COPY_SRC = 0x0004, COPY_DST = 0x0008, MAP_READ = 0x0001;

/** Threads per workgroup of the copy and fill shaders, and the most workgroups along x before a dispatch folds onto y. */
const copyGroup = 64;
const maxGroupsX = 65535;
/** Axes the strided copy shader handles (two vec4 rows of shape and strides). */
const copyRankLimit = 8;

/**
 * The strided copy shader for one rank, its axis loop unrolled: each element's index is split into
 * coordinates innermost first (no division for the outermost axis) with constant indices into the
 * uniform arrays. A loop over the axes with dynamic uniform indexing cost SwiftShader ~10 ms a copy.
 */
function copySource(rank) {
  const axes = [];
  for (let d = rank - 1; d >= 0; d--) {
    const [n, src, dst] = ['shape', 'srcStride', 'dstStride'].map((name) => `p.${name}[${d >> 2}][${d & 3}]`);
    if (d === 0) axes.push(`  read += i32(rest) * ${src};\n  write += i32(rest) * ${dst};`);
    else axes.push(`  let at${d} = i32(rest % ${n});\n  rest = rest / ${n};\n  read += at${d} * ${src};\n  write += at${d} * ${dst};`);
  }
  return /* wgsl */ `
struct Copy { size : u32, rank : u32, width : u32, pad : u32, srcOffset : i32, dstOffset : i32, pad1 : i32, pad2 : i32,
  shape : array<vec4<u32>, 2>, srcStride : array<vec4<i32>, 2>, dstStride : array<vec4<i32>, 2> }
@group(0) @binding(0) var<uniform> p : Copy;
@group(0) @binding(1) var<storage, read> src : array<f32>;
@group(0) @binding(2) var<storage, read_write> dst : array<f32>;
@compute @workgroup_size(${copyGroup}, 1, 1)
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let i = id.y * p.width + id.x;
  if (i >= p.size) { return; }
  var rest = i;
  var read = p.srcOffset;
  var write = p.dstOffset;
${axes.join('\n')}
  dst[u32(write)] = src[u32(read)];
}`;
}

const fillSource = /* wgsl */ `
struct Fill { size : u32, width : u32, value : f32, pad : u32 }
@group(0) @binding(0) var<uniform> p : Fill;
@group(0) @binding(1) var<storage, read_write> dst : array<f32>;
@compute @workgroup_size(${copyGroup}, 1, 1)
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let i = id.y * p.width + id.x;
  if (i < p.size) { dst[i] = p.value; }
}`;

/** Workgroups for `size` threads of `copyGroup`, folded onto y past the per-dimension limit, and the threads per row. */
function flatDispatch(size) {
  const groups = Math.ceil(size / copyGroup);
  const rows = Math.ceil(groups / maxGroupsX);
  const columns = Math.ceil(groups / rows);
  return { groups: [columns, rows, 1], width: columns * copyGroup };
}

const align = (bytes) => Math.max(16, Math.ceil(bytes / 16) * 16);

/**
 * Builds a plan into device objects. `kernelFor(step)` answers a built gpu.js kernel for a kernel step
 * (shared with the per-op path's cache rules), `pipelineFor(source)` a compute pipeline for a WGSL source.
 */
export async function buildProgram(device, plan, kernelFor, pipelineFor) {
  const made = [];
  const buffer = (bytes, usage) => {
    const created = device.createBuffer({ size: align(bytes), usage });
    made.push(created);
    return created;
  };
  const uniform = (values) => {
    const created = buffer(values.byteLength, UNIFORM | COPY_DST);
    device.queue.writeBuffer(created, 0, values);
    return created;
  };
  const buffers = plan.buffers.map((length) => buffer(length * 4, STORAGE | COPY_SRC | COPY_DST));
  for (const { buffer: id, data } of plan.constants) device.queue.writeBuffer(buffers[id], 0, data);
  const bind = (pipeline, resources) =>
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: resources.map((resource, binding) => ({ binding, resource: { buffer: resource } })),
    });
  const passes = [];
  for (const step of plan.steps) {
    if (step.kind === 'kernel') {
      const kernel = await kernelFor(step);
      const { arrayArgs, scalarArgs, bufferConstants, randomSeedOffset, byteLength } = kernel.paramsLayout;
      if (scalarArgs.length > 0 || randomSeedOffset !== null) throw new Error(`the ${step.op} kernel takes scalar arguments or draws random numbers, which a device program does not feed`);
      const params = new Uint32Array(byteLength / 4);
      const dispatch = kernel._computeDispatch([step.size, 1, 1]);
      params.set([step.size, 1, 1, dispatch.dispatchWidth]);
      for (const record of arrayArgs) params.set([step.argLengths[record.index], 1, 1, step.argLengths[record.index]], record.dimsOffset / 4);
      const entries = [uniform(params), ...step.args.map((id) => buffers[id]), buffers[step.out], ...bufferConstants.map((c) => c.buffer)];
      const bindGroup = device.createBindGroup({ layout: kernel.bindGroupLayout, entries: entries.map((resource, binding) => ({ binding, resource: { buffer: resource } })) });
      passes.push({ pipeline: kernel.computePipeline, bindGroup, groups: dispatch.groups, label: `${step.op} (gpu.js) ${JSON.stringify(step.constants)} ${step.size}` });
    } else if (step.kind === 'wgsl') {
      const pipeline = pipelineFor(step.source);
      const entries = [uniform(new Uint32Array(step.uniforms)), ...step.args.map((id) => buffers[id]), buffers[step.out]];
      passes.push({ pipeline, bindGroup: bind(pipeline, entries), groups: step.workgroups, label: `${step.op} ${JSON.stringify(step.constants)} ${step.size}` });
    } else if (step.kind === 'copy') {
      const pipeline = pipelineFor(copySource(step.shape.length));
      const { groups, width } = flatDispatch(step.size);
      const params = new ArrayBuffer(32 + 3 * 32);
      new Uint32Array(params, 0, 4).set([step.size, step.shape.length, width, 0]);
      new Int32Array(params, 16, 2).set([step.srcOffset, step.dstOffset]);
      new Uint32Array(params, 32, copyRankLimit).set(step.shape);
      new Int32Array(params, 64, copyRankLimit).set(step.srcStride);
      new Int32Array(params, 96, copyRankLimit).set(step.dstStride);
      passes.push({ pipeline, bindGroup: bind(pipeline, [uniform(new Uint8Array(params)), buffers[step.src], buffers[step.dst]]), groups, label: `copy rank ${step.shape.length} ${step.size}` });
    } else if (step.kind === 'fill') {
      const pipeline = pipelineFor(fillSource);
      const { groups, width } = flatDispatch(step.size);
      const params = new ArrayBuffer(16);
      new Uint32Array(params).set([step.size, width, 0, 0]);
      new Float32Array(params, 8, 1)[0] = step.value;
      passes.push({ pipeline, bindGroup: bind(pipeline, [uniform(new Uint8Array(params)), buffers[step.dst]]), groups, label: `fill ${step.size}` });
    } else {
      throw new Error(`device program: unknown step kind ${step.kind}`);
    }
  }
  let stagingBytes = 0;
  const reads = plan.outputs.map(({ buffer: id, length }) => {
    const read = { buffer: buffers[id], offset: stagingBytes, length };
    stagingBytes += align(length * 4);
    return read;
  });
  const staging = buffer(stagingBytes, MAP_READ | COPY_DST);
  const inputs = plan.inputs.map((id) => buffers[id]);
  return { passes, reads, staging, inputs, destroy: () => made.forEach((created) => created.destroy()) };
}

function dispatch(pass, { pipeline, bindGroup, groups }) {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
}

/**
 * One call: uploads `values` (one per plan input), runs every dispatch in one submit, reads all outputs
 * back with one mapAsync. With `profile`, each dispatch is submitted alone and waited for instead, and
 * the reply adds each one's label and milliseconds (each then also pays a submit and a wait).
 */
export async function runProgram(device, program, values, countReadBack, profile = false) {
  values.forEach((data, i) => device.queue.writeBuffer(program.inputs[i], 0, data));
  const times = profile ? [] : null;
  let encoder = device.createCommandEncoder();
  if (times) {
    for (const step of program.passes) {
      const pass = encoder.beginComputePass();
      dispatch(pass, step);
      pass.end();
      const start = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push({ label: step.label, ms: performance.now() - start });
      encoder = device.createCommandEncoder();
    }
  } else {
    // one compute pass for every dispatch: WebGPU makes each dispatch see the writes of those before it
    const pass = encoder.beginComputePass();
    for (const step of program.passes) dispatch(pass, step);
    pass.end();
  }
  for (const { buffer, offset, length } of program.reads) encoder.copyBufferToBuffer(buffer, 0, program.staging, offset, align(length * 4));
  device.queue.submit([encoder.finish()]);
  countReadBack();
  await program.staging.mapAsync(MAP_READ);
  const mapped = program.staging.getMappedRange();
  const outputs = program.reads.map(({ offset, length }) => new Float32Array(mapped.slice(offset, offset + length * 4)));
  program.staging.unmap();
  return { outputs, times };
}
