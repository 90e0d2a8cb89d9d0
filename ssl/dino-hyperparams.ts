/** DINO's hyper-parameters, as `train_dino` takes them (official defaults unless said otherwise). */

export interface DinoHyperparams {
  readonly epochs: number;
  readonly itersPerEpoch: number;
  /** Peak lr after warmup, already scaled: 0.0005 · total batch / 256 in the official code. */
  readonly lr?: number;
  readonly minLr?: number;
  /** lr warmup epochs (10). */
  readonly warmupEpochs?: number;
  /** Weight decay goes from `weightDecay` (0.04) to `weightDecayEnd` (0.4) along a cosine. */
  readonly weightDecay?: number;
  readonly weightDecayEnd?: number;
  /** EMA momentum at the first iteration (0.996), rising to 1. */
  readonly momentumTeacher?: number;
  readonly warmupTeacherTemp?: number;
  readonly teacherTemp?: number;
  readonly warmupTeacherTempEpochs?: number;
  readonly studentTemp?: number;
  readonly centerMomentum?: number;
  /** Per-parameter gradient norm cap (3.0); 0 turns clipping off. */
  readonly clipGrad?: number;
  /** Epochs during which the last layer gets no update (1). */
  readonly freezeLastLayer?: number;
  /** Ablation: false keeps the centre at zero (paper §5.3: without centering the targets go one-hot). */
  readonly centering?: boolean;
  /** DINOv2's KoLeo on the student's backbone features of the 2 global crops, this weight × the sum of the two (0: off, DINO v1). */
  readonly koleoWeight?: number;
}

const hyperparamDefaults: Omit<Required<DinoHyperparams>, 'epochs' | 'itersPerEpoch'> = {
  lr: 0.0005, minLr: 1e-6, warmupEpochs: 10, weightDecay: 0.04, weightDecayEnd: 0.4, momentumTeacher: 0.996,
  warmupTeacherTemp: 0.04, teacherTemp: 0.04, warmupTeacherTempEpochs: 0, studentTemp: 0.1, centerMomentum: 0.9,
  clipGrad: 3, freezeLastLayer: 1, centering: true, koleoWeight: 0,
};

/** The hyper-parameters with every default filled in. */
export function withDinoDefaults(hyperparams: DinoHyperparams): Required<DinoHyperparams> {
  return { ...hyperparamDefaults, ...hyperparams };
}
