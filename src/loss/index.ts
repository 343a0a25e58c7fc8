export * from './loss-factory';
export * from './mse-loss-factory';
export * from './mae-loss-factory';
export * from './huber-loss-factory';
export * from './cross-entropy-loss-factory';
export * from './binary-cross-entropy-loss-factory';
