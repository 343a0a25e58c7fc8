export * from './graph-def-builder';
export * from './gpt-graph';
export * from './write-gpt-graph-model';
