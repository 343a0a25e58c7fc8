/**
 * Floe: recipe-driven model training for TypeScript on TensorFlow.js.
 *
 * Importing this module registers every built-in component, so recipes can name them.
 * @packageDocumentation
 */
import 'reflect-metadata';

export * from './errors';
export * from './random';
export * from './logging';
export * from './registry';
export * from './config';
export * from './backend';
export * from './tokenizer';
export * from './data';
export * from './model';
export * from './optim';
export * from './autograd';
export * from './scheduler';
export * from './checkpoint';
export * from './callbacks';
export * from './trainer';
export * from './distributed';
export * from './report';
export * from './loss';
export * from './data/tabular';
export * from './model/supervised-model';
export * from './model/mlp-model';
export * from './model/mlp-model-factory';
export * from './model/layers-model';
export * from './model/layers-model-factory';
export * from './trainer/supervised-metrics';
export * from './trainer/supervised-trainer';
export * from './trainer/supervised-predictor';
