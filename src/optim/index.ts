export * from './param-optimizer';
export * from './decay-filter';
export * from './named-state-optimizer';
export * from './adamw-optimizer';
export * from './adam-optimizer';
export * from './sgd-optimizer';
export * from './clip-by-global-norm';
export * from './gradient-accumulator';
