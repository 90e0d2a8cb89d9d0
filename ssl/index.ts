/** The ssl layer: DINO (loss, centering, schedules, EMA teacher, training step), multi-crop augmentation and evaluation. */
export * from './dino.js';
export * from './koleo.js';
export * from './ema.js';
export * from './augment.js';
export * from './eval.js';
export * from './collapse.js';
export * from './siameseim-api.js';
