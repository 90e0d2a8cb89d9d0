/**
 * The DINO student's initial parameters on the host, named as the official state dict with
 * tapegrad's `backbone.` / `head.` prefixes, so every library starts from the same numbers. DINO's
 * init: Linear weights, `cls_token` and `pos_embed` normal(0, 0.02) (trunc-normal with bounds ±2,
 * which never bind at this scale), biases 0, LayerNorm 1/0; the patch-embed conv keeps PyTorch's
 * default U(±1/√(C·p²)) for weight and bias; `last_layer.weight_v` U(±1/√bottleneck), `weight_g` 1.
 */
import { type BenchPreset, benchVitMnist } from './preset.js';
import { seededRandom } from './seeded-random.js';

export interface HostParam {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Dotted name → parameter, in the order of the official state dict. */
export type HostParams = ReadonlyMap<string, HostParam>;

/** The gain of the weight-normalised last layer: frozen at 1 (`norm_last_layer`), never updated. */
export const frozenParamName = 'head.last_layer.weight_g';

/** DINO's `get_params_groups`: no weight decay for biases and for rank ≤ 1 tensors (LayerNorm). */
export const isDecayed = (name: string, shape: readonly number[]) => !name.endsWith('.bias') && shape.length > 1;

/** [name, shape] of every parameter, in state-dict order. */
export function paramShapes(preset: BenchPreset = benchVitMnist): [string, number[]][] {
  const { embedDim: dim, depth, mlpRatio, patchSize: patch, inChannels, imageSize, headHiddenDim: hidden, headBottleneckDim: bottleneck, outDim } = preset;
  const tokens = 1 + (imageSize / patch) ** 2;
  const shapes: [string, number[]][] = [
    ['backbone.cls_token', [1, 1, dim]],
    ['backbone.pos_embed', [1, tokens, dim]],
    ['backbone.patch_embed.proj.weight', [dim, inChannels, patch, patch]],
    ['backbone.patch_embed.proj.bias', [dim]],
  ];
  for (let i = 0; i < depth; i++) {
    const block = `backbone.blocks.${i}`;
    shapes.push(
      [`${block}.norm1.weight`, [dim]], [`${block}.norm1.bias`, [dim]],
      [`${block}.attn.qkv.weight`, [3 * dim, dim]], [`${block}.attn.qkv.bias`, [3 * dim]],
      [`${block}.attn.proj.weight`, [dim, dim]], [`${block}.attn.proj.bias`, [dim]],
      [`${block}.norm2.weight`, [dim]], [`${block}.norm2.bias`, [dim]],
      [`${block}.mlp.fc1.weight`, [mlpRatio * dim, dim]], [`${block}.mlp.fc1.bias`, [mlpRatio * dim]],
      [`${block}.mlp.fc2.weight`, [dim, mlpRatio * dim]], [`${block}.mlp.fc2.bias`, [dim]],
    );
  }
  shapes.push(
    ['backbone.norm.weight', [dim]], ['backbone.norm.bias', [dim]],
    ['head.mlp.0.weight', [hidden, dim]], ['head.mlp.0.bias', [hidden]],
    ['head.mlp.2.weight', [hidden, hidden]], ['head.mlp.2.bias', [hidden]],
    ['head.mlp.4.weight', [bottleneck, hidden]], ['head.mlp.4.bias', [bottleneck]],
    [frozenParamName, [outDim, 1]],
    ['head.last_layer.weight_v', [outDim, bottleneck]],
  );
  return shapes;
}

/** How DINO initialises the parameter `name`: a sampler for one entry. */
function initializer(name: string, preset: BenchPreset, random: ReturnType<typeof seededRandom>): () => number {
  const uniform = (bound: number) => () => (2 * random.uniform() - 1) * bound;
  if (name.startsWith('backbone.patch_embed.')) return uniform(1 / Math.sqrt(preset.inChannels * preset.patchSize ** 2));
  if (name === 'head.last_layer.weight_v') return uniform(1 / Math.sqrt(preset.headBottleneckDim));
  if (name === frozenParamName || /norm\d?\.weight$/.test(name)) return () => 1;
  if (name.endsWith('.bias')) return () => 0;
  return () => 0.02 * random.normal();
}

export function initHostParams(seed: number, preset: BenchPreset = benchVitMnist): HostParams {
  const random = seededRandom(seed);
  return new Map(
    paramShapes(preset).map(([name, shape]) => {
      const sample = initializer(name, preset, random);
      return [name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, sample) }];
    }),
  );
}
