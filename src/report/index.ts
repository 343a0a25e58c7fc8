export * from './chart-specs';
export * from './load-esm';
export * from './metric-sources';
export * from './render-chart';
export * from './report-html';
export * from './run-liveness';
export * from './run-metrics';
export * from './write-report';
