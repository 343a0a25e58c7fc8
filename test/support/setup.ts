import 'reflect-metadata';

// Tests run in this process unless they ask for data parallelism (`distributed.backend: threads`):
// `distributed: auto` would otherwise start worker threads on multi-core machines, and workers do
// not see classes a test registers in code.
process.env.FLOE_DISTRIBUTED ??= 'none';
