export * from './native-kernels-addon';
export * from './native-kernels-status';
export * from './native-gemm';
export * from './native-outputs';
export * from './native-kernels';
export * from './native-self-test';
export * from './fused';
