export * from './backend-names';
export * from './check-backend';
export * from './init-backend';
export * from './native-backend';
export * from './silence-cpu-banner';
export * from './wasm-threads';
export * from './wasm-package';
export * from './kernels';
