export * from './autograd-errors';
export * from './frugal-grads';
export * from './checkpoint';
