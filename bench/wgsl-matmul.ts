/**
 * Times the WGSL matmul kernel (core/backend/webgpu/wgsl-matmul.ts) alone on this machine's WebGPU
 * adapter (Dawn; SwiftShader where VK_ICD_FILENAMES names it) over the DINO step's product shapes:
 * each shape dispatched alone `repeats` times, the fastest taken (the figure holds one submit and wait,
 * no read-back). Usage, with the block size rows×columns of one invocation:
 *
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/wgsl-matmul.ts [repeats] [8x8]
 */
import { create, globals } from 'webgpu';
import { matmulKernel } from '../core/backend/webgpu/wgsl-matmul.js';

Object.assign(globalThis, globals);

/** [batch, m, k, n, transposeA, transposeB]: the default DINO preset's products (2 global crops of 17 tokens, 4 local of 5, batch 64, width 64, 4 heads). */
const shapes: [number, number, number, number, number, number][] = [
  [1, 2176, 64, 192, 0, 0],
  [1, 2176, 64, 64, 0, 0],
  [1, 2176, 64, 256, 0, 0],
  [1, 2176, 256, 64, 0, 0],
  [512, 17, 16, 17, 0, 1],
  [512, 17, 17, 16, 0, 0],
  [1024, 5, 16, 5, 0, 1],
  [1024, 5, 5, 16, 0, 0],
  [1, 64, 2176, 256, 1, 0],
  [1, 2176, 256, 64, 0, 1],
  [1, 1280, 64, 192, 0, 0],
  [512, 17, 17, 16, 1, 0],
];

const repeats = Number(process.argv[2] ?? 10);
const [wantRows, wantCols] = (process.argv[3] ?? '8x8').split('x').map(Number);
const matmul = matmulKernel(wantRows, wantCols);
// the GPU object must outlive the device: once it is collected, Dawn fails the device's pending work
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter (set VK_ICD_FILENAMES to SwiftShader on a machine without a GPU)');
const device = await adapter.requestDevice();
const storage = (floats: number) => device.createBuffer({ size: Math.max(16, floats * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });

for (const [batch, m, k, n, transposeA, transposeB] of shapes) {
  const constants = { m, k, n, transposeA, transposeB };
  const size = batch * m * n;
  const module = device.createShaderModule({ code: matmul.source(constants, 2) });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const uniforms = new Uint32Array(matmul.uniforms(constants, size));
  const uniform = device.createBuffer({ size: Math.max(16, uniforms.byteLength), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniform, 0, uniforms);
  const buffers = [uniform, storage(batch * m * k), storage(batch * k * n), storage(size)];
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const groups = matmul.workgroups(constants, size);
  const timeOnce = async (count: number) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < count; r++) pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    pass.end();
    const start = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - start;
  };
  await timeOnce(1); // compiles the shader
  // the fastest of several single dispatches: the least disturbed by other work on the machine
  let ms = Infinity;
  for (let r = 0; r < repeats; r++) ms = Math.min(ms, await timeOnce(1));
  const gflops = (2 * batch * m * k * n) / (ms * 1e6);
  console.log(`${`${batch}×${m}×${k}×${n}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}`.padEnd(24)} ${ms.toFixed(2).padStart(8)} ms  ${gflops.toFixed(2).padStart(6)} GFLOP/s`);
  buffers.forEach((buffer) => buffer.destroy());
}
device.destroy();
