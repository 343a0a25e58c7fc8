export * from './component-kind';
export * from './registry';
export * from './registries';
export * from './register';
export * from './component';
