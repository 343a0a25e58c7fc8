export * from './gpt-source';
export * from './merge-gpt-architecture';
export * from './hf-gpt2-config';
export * from './hf-gpt2-names';
export * from './hf-gpt2-source';
export * from './floe-gpt-source';
export * from './open-gpt-source';
