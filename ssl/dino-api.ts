/**
 * The public surface of tapegrad's DINO: the loss and centre, the hyper-parameters and schedules,
 * the last-layer freeze, the model adapter, the state and the training step (the collapse measures
 * are in `collapse.ts`).
 */
export { type DinoLossOptions, teacherLogTargets, crossCropMean, dinoLoss, updateCenter } from './dino-loss.js';
export { type DinoHyperparams } from './dino-hyperparams.js';
export { type TeacherTempScheduleOptions, type DinoSchedules, teacherTempSchedule, dinoSchedules } from './dino-schedules.js';
export { lastLayerTrainable, freezeLastLayer } from './dino-last-layer.js';
export { type DinoModel, vitDinoModel } from './dino-model.js';
export { type DinoState, type DinoArrays, initDinoState } from './dino-state.js';
export { type DinoMetrics, type DinoStepScalars, dinoStep, jitDinoStep } from './dino-step.js';
