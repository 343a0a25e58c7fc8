/**
 * Names other training frameworks give settings Floe names otherwise (HF `TrainingArguments`,
 * ArcticTraining, nanoGPT, HF model configs), keyed by the name lowercased without `_` and `-`.
 * Typo matching cannot find these (`learning_rate` is nothing like `lr`).
 */
const SYNONYMS: Record<string, readonly string[]> = {
  learningrate: ['lr'],
  numtrainepochs: ['epochs'],
  numepochs: ['epochs'],
  maxsteps: ['trainIters'],
  maxiters: ['trainIters'],
  totalsteps: ['trainIters'],
  batchsize: ['microBatchSize'],
  trainbatchsize: ['microBatchSize'],
  perdevicetrainbatchsize: ['microBatchSize'],
  loggingsteps: ['logInterval'],
  logevery: ['logInterval'],
  evalsteps: ['evalInterval'],
  evalevery: ['evalInterval'],
  savesteps: ['saveEveryNSteps'],
  saveevery: ['saveEveryNSteps'],
  savetotallimit: ['keepLast'],
  maxseqlength: ['maxLength'],
  maxseqlen: ['maxLength'],
  seqlen: ['maxLength'],
  blocksize: ['maxLength'],
  contextlength: ['maxLength'],
  maxpositionembeddings: ['maxLength'],
  nlayer: ['layers'],
  nlayers: ['layers'],
  numlayers: ['layers'],
  numhiddenlayers: ['layers'],
  nhead: ['heads'],
  nheads: ['heads'],
  numheads: ['heads'],
  numattentionheads: ['heads'],
  nembd: ['dim'],
  dmodel: ['dim'],
  hiddensize: ['dim'],
  intermediatesize: ['ffnDim'],
  gradclip: ['maxGradNorm'],
  clipgradnorm: ['maxGradNorm'],
  gradientclipping: ['maxGradNorm'],
  // HF config.json's rope_scaling, pasted into model.ropeScaling (its other keys are typo-close).
  ropetype: ['type'],
  originalmaxpositionembeddings: ['originalMaxLength'],
  // jsonl `fields`: TRL's prompt-completion datasets, Q&A sets.
  completion: ['response'],
  answer: ['response'],
  question: ['prompt'],
};

/** The key among `known` that other frameworks call `key` (`learning_rate` → `lr`), if any. */
export function keySynonym(key: string, known: readonly string[]): string | undefined {
  const targets = SYNONYMS[key.toLowerCase().replace(/[-_]/g, '')] ?? [];
  return targets.find((t) => known.includes(t));
}

/** Settings of a section, as other frameworks put them at the top level (HF `TrainingArguments`). */
const SECTION_HOMES: Record<string, string> = {
  lr: 'optimizer.lr',
  learningrate: 'optimizer.lr',
  weightdecay: 'optimizer.weightDecay',
  betas: 'optimizer.betas',
  optim: 'optimizer.type',
  warmupsteps: 'scheduler.warmupSteps',
  warmupratio: 'scheduler.warmupRatio',
  lrschedulertype: 'scheduler.type',
  savesteps: 'checkpoint[].saveEveryNSteps',
  saveeverynsteps: 'checkpoint[].saveEveryNSteps',
  savetotallimit: 'checkpoint[].keepLast',
  keeplast: 'checkpoint[].keepLast',
  maxseqlength: 'data.maxLength',
  modelnameorpath: 'model.from',
};

/** The section setting a top-level key `key` belongs in (`learning_rate` → `optimizer.lr`), if it is one. */
export function sectionHome(key: string): string | undefined {
  return SECTION_HOMES[key.toLowerCase().replace(/[-_]/g, '')];
}
