export * from './atomic-write-file';
export * from './fsync';
export * from './make-folder';
export * from './sha256-file';
export * from './temp-sibling-path';
export * from './verify-manifest';
export * from './write-dir-atomically';
export * from './write-manifest';
