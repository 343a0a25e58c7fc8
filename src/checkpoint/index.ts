export * from './checkpoint-engine';
export * from './floe-checkpoint-engine';
export * from './find-checkpoints';
export * from './assign-weights';
export * from './formats';
export * from './io';
