export * from './floe-error';
export * from './did-you-mean';
