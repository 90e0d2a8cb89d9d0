/**
 * What the k-NN evaluation looks at: the ONLINE encoder's CLS token on whole, unmasked images, and
 * raw pixels as the baseline that needs no network at all.
 *
 * `ssl/siameseim.ts` runs the encoder only inside the two branches (masked view a, then the
 * projector); a feature extractor needs the encoder alone on every patch, so it is spelled out here
 * from the same pieces: patch embedding + fixed sin-cos positions, [cls; patches], the blocks (no
 * final norm, as in pre-training). The projector is left out on purpose: its BatchNorm uses batch
 * statistics, which would make one image's feature depend on the others in its chunk. Beside the CLS
 * token, the mean of the patch tokens (MAE's global pool) comes from the same pass, for comparison.
 */
import { type Tensor, add, broadcastTo, concat, mean, reshape, sliceAxis, stopGradient } from '../../core/index.js';
import { block } from '../../nn/index.js';
import { patchEmbed } from '../../nn/vit.js';
import { type SiameseimConfig, type SiameseimParams, siameseimGrid, sincosPositionTable } from '../../ssl/index.js';

/**
 * The online encoder's output on whole images. Arguments: images [N, inChans, H, W] at the model's
 * size. Returns `cls` [N, C] (C = embedDim), the CLS token, and `patchMean` [N, C], the mean of the
 * patch tokens (MAE's global pool), both from the same forward pass and outside every tape.
 */
export function encoderFeatures(params: Pick<SiameseimParams, 'patch_embed' | 'cls_token' | 'blocks'>, images: Tensor, model: SiameseimConfig): { cls: Tensor; patchMean: Tensor } {
  const held = stopGradient(params);
  const positions = sliceAxis(sincosPositionTable(siameseimGrid(model), model.embedDim, { dtype: images.dtype }), 0, 1);
  const patches = add(patchEmbed(held.patch_embed, images), positions);
  const [n, , c] = patches.shape;
  const tokens = concat([broadcastTo(held.cls_token, [n, 1, c]), patches], 1);
  const encoded = held.blocks.reduce((x, blockParams, i) => block(blockParams, x, { numHeads: model.numHeads, eps: 1e-6, name: `blocks.${i}` }), tokens);
  return { cls: reshape(sliceAxis(encoded, 1, 0, 1), [n, c]), patchMean: mean(sliceAxis(encoded, 1, 1), { axis: 1 }) };
}

/** Runs `features` over `images` [N, ...] in chunks of `chunkSize` rows and stacks each named result along rows. */
export function featuresInChunks<Name extends string>(images: Tensor, chunkSize: number, features: (chunk: Tensor) => Record<Name, Tensor>): Record<Name, Tensor> {
  const parts: Record<Name, Tensor>[] = [];
  for (let start = 0; start < images.shape[0]; start += chunkSize) {
    parts.push(features(sliceAxis(images, 0, start, Math.min(images.shape[0], start + chunkSize))));
  }
  const names = Object.keys(parts[0]) as Name[];
  return Object.fromEntries(names.map((name) => [name, parts.length === 1 ? parts[0][name] : concat(parts.map((part) => part[name]), 0)])) as Record<Name, Tensor>;
}

/** Raw pixels as features: [N, C, H, W] → [N, C·H·W]. */
export function pixelFeatures(images: Tensor): Tensor {
  return reshape(images, [images.shape[0], -1]);
}
