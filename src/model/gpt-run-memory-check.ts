import { ATTENTION_CORE, ATTENTION_CORE_GRAD } from '../backend/native/fused/attention-core-kernels';
import { hasKernel } from '../backend/native/fused/fused-kernels';
import { estimateGptActivations } from './gpt-activation-estimate';
import { checkBackendMemory, estimateGptMemory, OptimizerKind, optimizerStateSlots } from './gpt-memory-estimate';
import { gptContextLimit, ResolvedGptOptions } from './gpt-options';
import type { Trainer } from '../trainer/trainer';
import type { TrainerMemoryNeeds } from '../trainer/trainer-memory-needs';

/** What {@link checkGptRunMemory} needs: the model and the recipe's settings that size a step. */
export interface GptRunMemoryCheckOptions {
  /** The model's resolved options. */
  model: ResolvedGptOptions;
  /** The recipe's `freeze` patterns. */
  freeze: readonly string[];
  /** The recipe's `optimizer` config (its type, and momentum for sgd). */
  optimizer: OptimizerKind;
  /** The recipe's `microBatchSize`: rows of one forward. */
  microBatchSize: number;
  /**
   * Rows of the forward when the command fixes them rather than `microBatchSize` (`floe generate`,
   * `export`: 1; see `RunContext.inferenceRows`), inference only: refused at `path`, not `microBatchSize`.
   */
  inferenceRows?: number;
  /** The recipe's `gradientAccumulationSteps` (default 1): above 1 the sums are held while the next micro-batch makes its gradients. */
  gradientAccumulationSteps?: number;
  /** The recipe's `data.maxLength`, if set: rows are cut (and packed) to it, else to the model's. */
  dataMaxLength?: number;
  /** The model is built to run, not train (generate, export, evaluate): weights and an inference forward only. */
  inference: boolean;
  /** The backend the run uses; only `wasm` has a shared cap. */
  backend: string;
  /** Recipe path a model too big by its weights (or by a forward of `inferenceRows`) is refused at (`model`, `model.from`); activations are refused at `microBatchSize`. */
  path: string;
  /** Whether attention runs the native fused kernel (default: whether the backend has it registered). */
  fusedAttention?: boolean;
  /** The wasm memory maximum (default `WASM_MEMORY_MAX_BYTES`; tests pass a small one). */
  limitBytes?: number;
  /** What the trainer holds beyond this (`Trainer.memoryNeeds`: DPO's pair rows and reference). */
  needs?: TrainerMemoryNeeds;
}

/**
 * The GPT factory's wasm memory pre-check, before any weight is built: weights, gradients,
 * optimizer state and one micro-batch's activations for training; weights and an inference
 * forward's activations for a model built to run. Throws the {@link checkBackendMemory} refusal,
 * returns its warning. Under data parallelism every rank has its own wasm memory and runs its own
 * micro-batch with a full copy of the weights and state, so this per-process check is per rank.
 * The optimizer update runs after the backward pass freed the activations, one variable at a
 * time: its temporaries (a few of the largest weight) stay below the activations' peak.
 */
export function checkGptRunMemory(options: GptRunMemoryCheckOptions): string | undefined {
  const { model, inference, needs = {} } = options;
  const counted = estimateGptMemory({ model, freeze: options.freeze, optimizer: optimizerStateSlots(options.optimizer) });
  // The copy holds the weights as they are (no LoRA factors: a trainer copies only a model without them).
  const copy = needs.weightCopy === undefined ? undefined : { bytes: counted.weightBytes, label: needs.weightCopy.label };
  const full = copy === undefined ? counted : { ...counted, weightCopy: copy, totalBytes: counted.totalBytes + copy.bytes };
  const accumulating = (options.gradientAccumulationSteps ?? 1) > 1;
  const twice = { ...full, gradientBytes: 2 * full.gradientBytes, totalBytes: full.totalBytes + full.gradientBytes, gradientNote: 'twice: the accumulated sums and a micro-batch\'s' };
  const estimate = inference ? { ...full, trainableParams: 0, gradientBytes: 0, optimizerBytes: 0, totalBytes: full.weightBytes + (copy?.bytes ?? 0), optimizer: { slots: 0, label: 'none: not training' } } : accumulating ? twice : full;
  // Packing fills rows to data.maxLength; without one, rows run to the model's (a sliding window's at most: longer ones are refused).
  const limit = gptContextLimit(model);
  const length = Math.min(options.dataMaxLength ?? limit, limit);
  const fusedAttention = options.fusedAttention ?? (hasKernel(ATTENTION_CORE) && hasKernel(ATTENTION_CORE_GRAD));
  const fixedRows = inference ? options.inferenceRows : undefined;
  const batch = fixedRows ?? options.microBatchSize * (needs.rowsPerSample?.factor ?? 1);
  const peakAt = (rows: number): { bytes: number; checkpointedBytes: number; rows: number; frozenPeak: boolean } => {
    const act = estimateGptActivations({ model, batch: rows, length, fusedAttention, mode: inference ? 'inference' : 'training' });
    // A frozen forward (no tape) ends, its values freed, before the training forward begins: the larger peak counts.
    const frozen = needs.frozenForward === undefined || inference ? undefined : estimateGptActivations({ model, batch: rows, length, fusedAttention, mode: 'inference' });
    return frozen !== undefined && frozen.bytes > act.bytes ? { bytes: frozen.bytes, checkpointedBytes: frozen.bytes, rows: act.rows, frozenPeak: true } : { ...act, frozenPeak: false };
  };
  const { frozenPeak, ...peak } = peakAt(batch);
  const notes = [needs.rowsPerSample?.note, frozenPeak ? `the peak is ${needs.frozenForward}'s forward` : undefined].filter((n) => n !== undefined);
  // A lower microBatchSize made up with accumulation holds the gradients twice (a model built to run has none).
  const base = inference ? estimate.totalBytes : twice.totalBytes;
  const totalAt = (microBatchSize: number): number => base + peakAt(microBatchSize * (needs.rowsPerSample?.factor ?? 1)).bytes;
  const activations = { ...peak, checkpointing: inference || model.activationCheckpointing === true, note: notes.length === 0 ? undefined : notes.join('; '), fixedRows: fixedRows !== undefined, microBatchSize: options.microBatchSize, totalAt };
  return checkBackendMemory({ estimate, backend: options.backend, path: options.path, limitBytes: options.limitBytes, activations, advice: needs.weightCopy?.advice });
}

/**
 * The GPT factory's pre-check of `trainer`'s run, before any weight is built or loaded (see
 * {@link checkGptRunMemory}): the recipe's settings, the trainer's own needs from its class
 * (`Trainer.memoryNeeds`: the model is not built yet) and `at` the recipe path of the model
 * (`model`, `model.from`). A model built to run, not train (generate, export, evaluate:
 * `context.inference`), counts its weights and one inference forward (`context.inferenceRows`).
 * Each data-parallel rank has its own wasm memory: the check is per rank as is. Throws the
 * refusal; logs the warning on the main rank.
 */
export function checkTrainerGptMemory(trainer: Trainer, model: ResolvedGptOptions, at: string): void {
  const { freeze, optimizer, microBatchSize, gradientAccumulationSteps, data } = trainer.config;
  const dataMaxLength = (data as { maxLength?: number }).maxLength;
  const inference = trainer.context.inference === true;
  // The trainer's own needs (DPO's pair rows and reference), from its class: the model is not built
  // yet. A model loaded alone (generate, export) runs without the trainer's setup: none of them.
  const needs = trainer.context.modelOnly === true ? {} : (trainer.constructor as typeof Trainer).memoryNeeds(trainer.config);
  const inferenceRows = inference ? trainer.context.inferenceRows : undefined;
  const warning = checkGptRunMemory({ model, freeze, optimizer: optimizer as OptimizerKind, microBatchSize, inferenceRows, gradientAccumulationSteps, dataMaxLength, inference, backend: trainer.backend.name, path: at, needs });
  if (warning !== undefined && trainer.dp.isMain) trainer.logger.warn(warning);
}
