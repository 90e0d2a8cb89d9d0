/**
 * The multi-crop forward (docs/dino.md §4): consecutive same-width crops are grouped, the backbone runs once
 * per group, the head once on all rows, rows crop-major (row v·B + b = crop v of image b).
 */
import { describe, expect, it } from 'vitest';
import { concat, sliceAxis, type Tensor } from '../../core/index.js';
import { random } from '../../core/random.js';
import { dinoHead, dinoMultiCrop, groupConsecutiveCrops, initDinoHead, initVit, multiCropForward, vit, vitConfig } from '../../nn/index.js';
import { randomTensor } from '../support/draw.js';
import { maxAbsDiff } from '../support/golden.js';

const crops = (sizes: number[], batch = 2) => sizes.map((s, i) => randomTensor([batch, 1, s, s], 10 + i));

describe('multi-crop', () => {
  it('groups consecutive crops by width only', () => {
    expect(groupConsecutiveCrops(crops([8, 8, 4, 4, 4]))).toEqual([[0, 2], [2, 5]]);
    expect(groupConsecutiveCrops(crops([8, 4, 8]))).toEqual([[0, 1], [1, 2], [2, 3]]);
  });

  it('calls the backbone once per group and the head once, with crop-major rows', () => {
    const calls: number[][] = [];
    const backbone = (images: Tensor) => {
      calls.push([...images.shape]);
      return images.reshape([images.shape[0], -1]).sum({ axis: 1, keepDims: true });
    };
    let headCalls = 0;
    const head = (features: Tensor) => {
      headCalls++;
      return features;
    };
    const views = crops([8, 8, 4, 4, 4]);
    const out = multiCropForward(views, backbone, head);
    expect(calls).toEqual([[4, 1, 8, 8], [6, 1, 4, 4]]);
    expect(headCalls).toBe(1);
    expect(out.shape).toEqual([10, 1]);
    views.forEach((view, v) => {
      const expected = view.reshape([2, -1]).sum({ axis: 1 }).toArray() as number[];
      expect(maxAbsDiff(sliceAxis(out, 0, 2 * v, 2 * v + 2), expected)).toBe(0);
    });
  });

  it('dinoMultiCrop equals the head of the ViT run crop by crop (2 global + 3 local)', () => {
    const config = vitConfig({ imgSize: 8, patchSize: 4, inChans: 1, embedDim: 4, depth: 1, numHeads: 2, mlpRatio: 2, qkvBias: true, layerNormEps: 1e-6, dropPathRate: 0, dtype: 'float64' });
    const params = {
      backbone: initVit(random.key(1), config),
      head: initDinoHead(random.key(2), { inDim: 4, outDim: 5, hiddenDim: 6, bottleneckDim: 3, dtype: 'float64' }),
    };
    const views = crops([8, 8, 4, 4, 4]);
    const out = dinoMultiCrop(params, views, { vitConfig: config });
    const perCrop = concat(views.map((view) => dinoHead(params.head, vit(params.backbone, view, { config }).cls)), 0);
    expect(out.shape).toEqual([10, 5]);
    expect(maxAbsDiff(out, perCrop.toArray() as any)).toBeLessThan(1e-14);
  });
});
