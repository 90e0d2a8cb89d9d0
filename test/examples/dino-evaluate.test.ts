import { describe, expect, it } from 'vitest';
import { random, sliceAxis } from '../../core/index.js';
import { vit } from '../../nn/index.js';
import { normalisePixels } from '../../examples/dino/data.js';
import { clsFeatures } from '../../examples/dino/evaluate.js';
import { runModel } from '../../examples/dino/model.js';
import { presets } from '../../examples/dino/presets.js';

describe('examples/dino/evaluate: the jitted evaluation forward', () => {
  it('gives the eager teacher forward’s CLS features, over a full chunk of 500 images and a shorter last one', () => {
    const net = runModel(presets.tiny);
    const { backbone } = net.model.init(random.key(3));
    const images = random.uniform(random.key(4), [560, 1, 28, 28]);
    const features = clsFeatures(backbone, net.evalConfig, images);
    expect(features.shape).toEqual([560, presets.tiny.embedDim]);
    const eager = vit(backbone, normalisePixels(images), { config: net.evalConfig }).cls.dataSync();
    expect(features.dataSync()).toEqual(eager);
    // a second pass replays the two compiled programs and must give the same again
    expect(clsFeatures(backbone, net.evalConfig, sliceAxis(images, 0, 0, 560)).dataSync()).toEqual(eager);
  });
});
