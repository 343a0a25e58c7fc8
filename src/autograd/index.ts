export * from './autograd-errors';
export * from './frugal-grads';
