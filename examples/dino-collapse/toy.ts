/**
 * The toy problem of the collapse study, shared by `examples/dino-collapse.ts` and its test: 8×8
 * images from 4 fixed random patterns plus 30 % noise, and a tiny MLP backbone with a DINO head.
 */
import * as tg from '../../core/index.js';
import { dinoHead, dinoHeadFrozenNames, initDinoHead, initLinear, linear } from '../../nn/index.js';
import type { DinoModel } from '../../ssl/index.js';

const { random } = tg;
export const side = 8;
export const prototypes = 32;

/** flatten → Linear → GELU → Linear → DINO head (K = 32, bottleneck 16). */
export const toyModel: DinoModel<any> = {
  init: (key) => {
    const [a, b, c] = random.split(key, 3);
    return {
      backbone: { fc1: initLinear(a, { inFeatures: side * side, outFeatures: 32 }), fc2: initLinear(b, { inFeatures: 32, outFeatures: 32 }) },
      head: initDinoHead(c, { inDim: 32, outDim: prototypes, nlayers: 2, hiddenDim: 32, bottleneckDim: 16 }),
    };
  },
  forward: (params, crops) => {
    const x = tg.concat(crops.map((crop) => tg.reshape(crop, [crop.shape[0], side * side])), 0);
    return dinoHead(params.head, linear(params.backbone.fc2, tg.gelu(linear(params.backbone.fc1, x))));
  },
  frozenNames: dinoHeadFrozenNames({}, 'head.'),
};

const patterns = random.uniform(random.key(7), [4, side * side]).dataSync();

/** Batch `i` of `size` images [size, 1, 8, 8]: each a random pattern (0.7) plus uniform noise (0.3). */
export function toyBatch(i: number, size: number): tg.Tensor {
  const noise = random.uniform(random.foldIn(random.key(8), i), [size, side * side]).dataSync();
  const labels = random.randint(random.foldIn(random.key(9), i), [size], 0, 4).dataSync();
  const pixels = Float32Array.from(noise, (n, j) => 0.7 * patterns[labels[Math.floor(j / (side * side))] * side * side + (j % (side * side))] + 0.3 * n);
  return tg.tensor(pixels, { shape: [size, 1, side, side] });
}
