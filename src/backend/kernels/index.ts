export * from './register-wasm-kernel-overrides';
export * from './wasm-gemm';
export * from './batch-mat-mul-kernel';
export * from './fused-mat-mul-kernel';
export * from './unsorted-segment-sum-kernel';
export * from './identity-kernel';
