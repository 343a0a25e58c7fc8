export * from './data-source';
export * from './glob';
export * from './line-reader';
export * from './utf8-text';
export * from './synthetic-source';
export * from './text-source';
export * from './jsonl-format';
export * from './jsonl-source';
