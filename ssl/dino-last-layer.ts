/** DINO's last-layer freeze (`cancel_gradients_last_layer` in `main_dino.py`): no update to the head's last layer for the first epochs. */
import { dottedName, treeMapWithPath } from '../core/index.js';

/** While `epoch < freezeEpochs`, false for every dotted name that contains `pattern`: the parameters the optimiser leaves alone. */
export function lastLayerTrainable(epoch: number, freezeEpochs = 1, pattern = 'last_layer'): (name: string) => boolean {
  return (name) => epoch >= freezeEpochs || !name.includes(pattern);
}

/**
 * `cancel_gradients_last_layer`: while `epoch < freezeEpochs`, every gradient whose dotted name
 * contains `last_layer` becomes `null`, so the optimizer leaves that parameter entirely alone (no
 * update, no weight decay, no moment state), as PyTorch does for `grad = None`. Apply after clipping.
 * Returns a new gradient tree of the same structure (`null` leaves are static pytree nodes).
 */
export function freezeLastLayer<T>(grads: T, epoch: number, freezeEpochs = 1, pattern = 'last_layer'): T {
  if (epoch >= freezeEpochs) return grads;
  const trainable = lastLayerTrainable(epoch, freezeEpochs, pattern);
  return treeMapWithPath((path, leaf) => (trainable(dottedName(path)) ? leaf : null), grads) as T;
}
