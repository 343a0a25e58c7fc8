import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { silenceCpuBanner } from '../../src/backend/silence-cpu-banner';

// Tests run in this process unless they ask for data parallelism (`distributed.backend: threads`):
// `distributed: auto` would otherwise start worker threads on multi-core machines, and workers do
// not see classes a test registers in code.
process.env.FLOE_DISTRIBUTED ??= 'none';

/**
 * Mocha root hooks (picked up from this `--require` file): before any spec, `cpu` is made the
 * current backend, so specs that never choose one run on `cpu` whatever was imported first.
 * Without it tfjs picks the highest-priority registered backend on first use: once a spec file
 * imports `@tensorflow/tfjs-backend-wasm` (priority 2, above cpu's 1), the first tensor made by a
 * spec that sets no backend throws "The highest priority backend 'wasm' has not yet been
 * initialized", as wasm starts asynchronously. Which specs hit that depended on the files passed
 * to mocha and their order. Specs that need another backend still set it in their own hooks.
 * The cpu banner is silenced as `initBackend` does, so output does not depend on which spec runs first.
 */
export const mochaHooks = {
  async beforeAll(): Promise<void> {
    if (!(await tf.setBackend('cpu'))) throw new Error("test setup: the tfjs 'cpu' backend failed to start");
    await tf.ready();
    silenceCpuBanner();
  },
};
