/**
 * The linear probe and few-shot figures every example reports beside its k-NN: ssl's `linearProbe`
 * (logistic regression on L2-normalised features) and `fewShotAccuracy` (nearest class mean with
 * 1, 5 and 10 labelled digits per class, mean of 5 draws), trained on the bank and scored on the test digits.
 */
import { type Tensor, random } from '../../core/index.js';
import { fewShotAccuracy, linearProbe } from '../../ssl/index.js';
import type { MnistSplit } from './mnist.js';

/** Labelled digits per class of the few-shot evaluation. */
export const fewShotCounts = [1, 5, 10] as const;
/** The same labelled draws for every network, so their few-shot figures compare. */
const fewShotKey = random.key(18);

/** Linear-probe top-1 and few-shot accuracies (%) of one kind of feature. */
export interface ProbeScores {
  readonly linearProbe: number;
  readonly fewShot: Record<number, number>;
}

/** Arguments: features [N, D] of the bank and [M, D] of the test digits, rows in the order of the splits. */
export function probeScores(bankFeatures: Tensor, bank: MnistSplit, testFeatures: Tensor, test: MnistSplit): ProbeScores {
  const [bankLabels, testLabels] = [bank.labels.dataSync(), test.labels.dataSync()];
  const probe = linearProbe(bankFeatures, bankLabels, testFeatures, testLabels, { numClasses: 10 });
  // a small bank (--knn-train) may hold fewer digits of some class than a shot count asks
  const fewest = Math.min(...Array.from({ length: 10 }, (_, c) => bankLabels.filter((label) => label === c).length));
  const shots = fewShotCounts.filter((count) => count <= fewest);
  const fewShot = fewShotAccuracy(bankFeatures, bankLabels, testFeatures, testLabels, { numClasses: 10, shots, key: fewShotKey });
  return { linearProbe: probe.top1, fewShot };
}

