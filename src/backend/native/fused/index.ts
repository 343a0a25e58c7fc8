export * from './adamw-kernel';
export * from './attention-core-kernels';
export * from './attention-softmax-kernels';
export * from './cross-entropy-kernels';
export * from './fused-kernel-names';
export * from './fused-kernels';
export * from './gelu-norm-kernels';
export * from './rope-packed-kernel';
