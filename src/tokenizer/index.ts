export * from './tokenizer';
export * from './byte-tokenizer';
export * from './hf-tokenizer';
export * from './chat-template';
export * from './tokenizer-fingerprint';
export * from './tokenizer-factory';
export * from './byte-tokenizer-factory';
export * from './hf-tokenizer-factory';
