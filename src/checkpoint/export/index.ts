export * from './export-model';
export * from './export-checkpoint-engine';
export * from './safetensors-checkpoint-engine';
export * from './tfjs-checkpoint-engine';
