/** A small `dpo` recipe (byte tokenizer, tiny GPT, synthetic addition preferences, no output but `outputDir`). */
export function dpoRecipe(options: { outputDir: string; lora?: unknown; backend?: string; trainIters?: number; extra?: Record<string, unknown>; data?: Record<string, unknown> }): Record<string, unknown> {
  return {
    type: 'dpo',
    backend: options.backend ?? 'cpu',
    quiet: true,
    progress: 'none',
    report: false,
    tensorboard: false,
    metricsLog: false,
    status: false,
    seed: 3,
    trainIters: options.trainIters ?? 1,
    microBatchSize: 4,
    logInterval: 1,
    outputDir: options.outputDir,
    tokenizer: { type: 'byte' },
    data: { type: 'dpo', sources: [{ type: 'synthetic', task: 'addition-preference', count: 64, maxDigits: 1 }], maxLength: 12, trainEvalSplit: [1, 0], ...options.data },
    model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 12, ...(options.lora === undefined ? {} : { lora: options.lora }) },
    optimizer: { type: 'adamw', lr: 1e-2, weightDecay: 0 },
    checkpoint: [],
    callbacks: [],
    ...options.extra,
  };
}
