/** The ssl layer: DINO (loss, centering, schedules, EMA teacher, training step), multi-crop augmentation and evaluation. */
export * from './dino-api.js';
export * from './koleo.js';
export * from './errors.js';
export * from './ema.js';
export * from './augment.js';
export * from './affine-jitter.js';
export * from './eval.js';
export * from './collapse.js';
export * from './siameseim-api.js';
export * from './linear-probe.js';
export * from './few-shot.js';
export * from './attention-jaccard.js';
