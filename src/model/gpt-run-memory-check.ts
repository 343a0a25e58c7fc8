import { ATTENTION_CORE, ATTENTION_CORE_GRAD } from '../backend/native/fused/attention-core-kernels';
import { hasKernel } from '../backend/native/fused/fused-kernels';
import { estimateGptActivations } from './gpt-activation-estimate';
import { checkBackendMemory, estimateGptMemory, OptimizerKind, optimizerStateSlots } from './gpt-memory-estimate';
import { gptContextLimit, ResolvedGptOptions } from './gpt-options';

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
  /** The recipe's `gradientAccumulationSteps` (default 1): above 1 the sums are held while the next micro-batch makes its gradients. */
  gradientAccumulationSteps?: number;
  /** The recipe's `data.maxLength`, if set: rows are cut (and packed) to it, else to the model's. */
  dataMaxLength?: number;
  /** The model is built to run, not train (generate, export, evaluate): weights and an inference forward only. */
  inference: boolean;
  /** The backend the run uses; only `wasm` has a shared cap. */
  backend: string;
  /** Recipe path a model too big by its weights is refused at (`model`, `model.from`); activations are refused at `microBatchSize`. */
  path: string;
  /** Whether attention runs the native fused kernel (default: whether the backend has it registered). */
  fusedAttention?: boolean;
  /** The wasm memory maximum (default `WASM_MEMORY_MAX_BYTES`; tests pass a small one). */
  limitBytes?: number;
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
  const { model, inference } = options;
  const full = estimateGptMemory({ model, freeze: options.freeze, optimizer: optimizerStateSlots(options.optimizer) });
  const accumulating = (options.gradientAccumulationSteps ?? 1) > 1;
  const twice = { ...full, gradientBytes: 2 * full.gradientBytes, totalBytes: full.totalBytes + full.gradientBytes, gradientNote: 'twice: the accumulated sums and a micro-batch\'s' };
  const estimate = inference ? { ...full, trainableParams: 0, gradientBytes: 0, optimizerBytes: 0, totalBytes: full.weightBytes, optimizer: { slots: 0, label: 'none: not training' } } : accumulating ? twice : full;
  // Packing fills rows to data.maxLength; without one, rows run to the model's (a sliding window's at most: longer ones are refused).
  const limit = gptContextLimit(model);
  const length = Math.min(options.dataMaxLength ?? limit, limit);
  const fusedAttention = options.fusedAttention ?? (hasKernel(ATTENTION_CORE) && hasKernel(ATTENTION_CORE_GRAD));
  const act = estimateGptActivations({ model, batch: options.microBatchSize, length, fusedAttention, mode: inference ? 'inference' : 'training' });
  const activations = { ...act, checkpointing: inference || model.activationCheckpointing === true };
  return checkBackendMemory({ estimate, backend: options.backend, path: options.path, limitBytes: options.limitBytes, activations });
}
