import { formatBytes, WASM_INFERENCE_ADVICE, WASM_MEMORY_ADVICE, WASM_MEMORY_MAX_BYTES } from '../backend/wasm-memory';
import { ConfigError } from '../errors';
import { matchesAny } from '../optim/decay-filter';
import { ResolvedGptOptions } from './gpt-options';
import { gptParamSpecs } from './gpt-params';
import { loraParamShapes } from './lora';
import type { GptActivationEstimate } from './gpt-activation-estimate';

/** Bytes of one float32 value: weights, gradients and optimizer moments are all float32. */
const FLOAT32_BYTES = 4;

/** Share of the wasm memory above which a run is warned about (it may still fail on activations). */
export const WASM_MEMORY_WARN_FRACTION = 0.75;

/** How many float32 tensors of its size an optimizer keeps per trainable weight. */
export interface OptimizerStateSlots {
  /** Moments per trainable weight (AdamW/Adam 2, SGD with momentum 1, plain SGD 0). */
  slots: number;
  /** How the count was found, for the message (`adamw: 2 moments`). */
  label: string;
}

/** The recipe's `optimizer` settings {@link optimizerStateSlots} reads. */
export interface OptimizerKind {
  /** The optimizer's `type` (`adamw`, `sgd`, a plugin's). */
  type: string;
  /** Its `momentum`, for sgd. */
  momentum?: unknown;
}

/**
 * Optimizer state per trainable weight, read from the recipe's `optimizer` config. A plugin
 * optimizer Floe cannot know is counted as Adam-like (2), said so in the label.
 */
export function optimizerStateSlots(optimizer: OptimizerKind): OptimizerStateSlots {
  if (optimizer.type === 'adamw' || optimizer.type === 'adam') return { slots: 2, label: `${optimizer.type}: 2 moments` };
  if (optimizer.type === 'sgd') {
    const momentum = typeof optimizer.momentum === 'number' && optimizer.momentum > 0;
    return momentum ? { slots: 1, label: 'sgd with momentum: 1 buffer' } : { slots: 0, label: 'sgd without momentum: none' };
  }
  return { slots: 2, label: `${optimizer.type}: counted as 2 moments, as Adam keeps` };
}

/** What {@link estimateGptMemory} needs. */
export interface GptMemoryEstimateOptions {
  /** The model's resolved options, `lora` included when adapters are added. */
  model: ResolvedGptOptions;
  /** The recipe's `freeze` patterns (whole weight names, globs). */
  freeze: readonly string[];
  /** Optimizer state per trainable weight. */
  optimizer: OptimizerStateSlots;
}

/** Bytes a training run holds on the backend before activations, by part. */
export interface GptMemoryEstimate {
  /** Every parameter, LoRA factors included. */
  params: number;
  /** Parameters that train (get gradients and optimizer state). */
  trainableParams: number;
  /** params × 4. */
  weightBytes: number;
  /** trainableParams × 4 (the gradient sums of a step). */
  gradientBytes: number;
  /** trainableParams × 4 × optimizer slots. */
  optimizerBytes: number;
  /** The sum: a lower bound, activations come on top. */
  totalBytes: number;
  /** The optimizer's state count and how it was found. */
  optimizer: OptimizerStateSlots;
  /** Why the gradients count more than once, for the message (gradient accumulation). */
  gradientNote?: string;
  /** A frozen copy of the weights the trainer holds (DPO's reference without LoRA), counted in `totalBytes`. */
  weightCopy?: {
    /** Its float32 bytes (the weights'). */
    bytes: number;
    /** What it is, for the message. */
    label: string;
  };
}

/**
 * The float32 bytes a run holds for weights, gradients and optimizer state, counted from the
 * parameter shapes ({@link gptParamSpecs}, {@link loraParamShapes}). With LoRA only the adapters
 * train (as {@link FrozenParams} decides); `freeze` patterns freeze more. Activations are left out:
 * they depend on batch, length and kernels, so the total is a lower bound.
 */
export function estimateGptMemory(options: GptMemoryEstimateOptions): GptMemoryEstimate {
  const shapes: Array<[string, number[]]> = gptParamSpecs(options.model).map((spec) => [spec.name, spec.shape]);
  const lora = loraParamShapes(options.model);
  shapes.push(...lora);
  let params = 0;
  let trainableParams = 0;
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    params += size;
    const frozenByLora = lora.size > 0 && !lora.has(name);
    if (!frozenByLora && !matchesAny(name, options.freeze)) trainableParams += size;
  }
  const weightBytes = params * FLOAT32_BYTES;
  const gradientBytes = trainableParams * FLOAT32_BYTES;
  const optimizerBytes = trainableParams * FLOAT32_BYTES * options.optimizer.slots;
  return { params, trainableParams, weightBytes, gradientBytes, optimizerBytes, totalBytes: weightBytes + gradientBytes + optimizerBytes, optimizer: options.optimizer };
}

/** `1,234,567` for messages. */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** What {@link checkBackendMemory} needs. */
export interface BackendMemoryCheckOptions {
  /** The run's estimate. */
  estimate: GptMemoryEstimate;
  /** The backend the run uses; only `wasm` has a shared cap. */
  backend: string;
  /** Recipe path the error is reported at (`model`, `model.from`). */
  path: string;
  /** The wasm memory maximum (default {@link WASM_MEMORY_MAX_BYTES}; tests pass a small one). */
  limitBytes?: number;
  /** One micro-batch's activations; added to the total, refused at `microBatchSize` when they push it over (unless the command fixes the rows). */
  activations?: CheckedActivations;
  /** The trainer's own advice (DPO: LoRA makes its reference free): first when dropping the weight copy alone would do, else last. */
  advice?: string;
}

/** A micro-batch's activations as {@link checkBackendMemory} weighs them (`estimateGptActivations`). */
export interface CheckedActivations extends GptActivationEstimate {
  /** Activation checkpointing is on already (or nothing could be checkpointed: inference), so it is not suggested. */
  checkpointing: boolean;
  /** What the rows and the peak are, for the message (`2 per pair: ...`). */
  note?: string;
  /**
   * The command fixes the rows (`floe generate` decodes one prompt, `export` runs no forward), not
   * the recipe's `microBatchSize`: a refusal is the model's, at `path`, with no microBatchSize advice.
   */
  fixedRows?: boolean;
  /** The recipe's `microBatchSize` the estimate is for; with {@link totalAt}, the advice says what to lower it to. */
  microBatchSize?: number;
  /**
   * The run's whole estimate at another `microBatchSize` (gradients counted twice when training: the
   * lowered batch is made up with gradientAccumulationSteps), for the largest one that fits.
   */
  totalAt?: (microBatchSize: number) => number;
}

/** The largest microBatchSize below the run's whose estimate is at most `line` bytes; 0 when none is (or it is not known). */
function fittingMicroBatchSize(act: CheckedActivations | undefined, line: number): number {
  if (act?.totalAt === undefined || act.microBatchSize === undefined) return 0;
  // The estimate grows with the rows: bisect (lo fits, hi does not).
  let [lo, hi] = [0, act.microBatchSize];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (act.totalAt(mid) <= line) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Refuses, as a {@link ConfigError} at `path`, a run whose estimate exceeds the wasm backend's
 * memory (it would die mid-load or mid-step with a raw wasm error); returns a warning above
 * {@link WASM_MEMORY_WARN_FRACTION} of it, else undefined. Other backends have no such cap.
 */
export function checkBackendMemory(options: BackendMemoryCheckOptions): string | undefined {
  const { estimate: e, backend, path } = options;
  if (backend !== 'wasm') return undefined;
  const limit = options.limitBytes ?? WASM_MEMORY_MAX_BYTES;
  const breakdown =
    `${count(e.params)} parameters (${count(e.trainableParams)} trainable) need at least ${formatBytes(e.totalBytes)} before activations: ` +
    `weights ${formatBytes(e.weightBytes)} (float32) + gradients ${formatBytes(e.gradientBytes)}${e.gradientNote === undefined ? '' : ` (${e.gradientNote})`} + optimizer state ${formatBytes(e.optimizerBytes)} (${e.optimizer.label})` +
    (e.weightCopy === undefined ? '' : ` + ${e.weightCopy.label} ${formatBytes(e.weightCopy.bytes)}`);
  const cap = `the wasm backend holds every tensor in one WebAssembly memory of at most ${formatBytes(limit)}`;
  const act = options.activations;
  const total = e.totalBytes + (act?.bytes ?? 0);
  const fixedRows = act?.fixedRows === true;
  const activations = act === undefined ? '' : `; activations of ${fixedRows ? 'one forward' : 'one micro-batch'} (${count(act.rows)} token rows${act.note === undefined ? '' : `, ${act.note}`}) ${formatBytes(act.bytes)}: ${formatBytes(total)} in all`;
  // Activations alone past the cap: the micro-batch is the knob; a model too big without them is the
  // model's, and so is one whose rows the command fixes (microBatchSize would change nothing).
  const at = act !== undefined && !fixedRows && e.totalBytes <= limit ? 'microBatchSize' : path;
  // Under this the run fits (refused) or is no longer warned about: what each advice is weighed against.
  const line = total > limit ? limit : limit * WASM_MEMORY_WARN_FRACTION;
  // Checkpointing is offered in the list only when it alone brings the run under the line; else last, with what it saves.
  const canCut = act !== undefined && !act.checkpointing && act.checkpointedBytes < act.bytes;
  const cutEnough = canCut && total - act.bytes + act.checkpointedBytes <= line;
  const cutSays = act === undefined ? '' : `model.activationCheckpointing: true (activations ${formatBytes(act.bytes)} -> about ${formatBytes(act.checkpointedBytes)})`;
  const cut = cutEnough ? `${cutSays}, ` : '';
  const cutLast = canCut && !cutEnough ? `. ${cutSays}, ${formatBytes(act.bytes - act.checkpointedBytes)} less: not enough alone` : '';
  const fits = fixedRows ? 0 : fittingMicroBatchSize(act, line);
  const lower = `Lower microBatchSize${fits >= 1 ? ` to ${fits}` : ''}`;
  // Nothing trains (a model built to run): LoRA, freeze and accumulation would save nothing.
  const general = e.trainableParams === 0 ? WASM_INFERENCE_ADVICE : WASM_MEMORY_ADVICE;
  const rest =
    act === undefined || fixedRows ? general
    : e.trainableParams === 0 ? `${lower}, use a shorter data.maxLength, or: ${general}`
    : `${lower} (raise gradientAccumulationSteps to keep the global batch), use a shorter data.maxLength, ${cut}or: ${WASM_MEMORY_ADVICE}${cutLast}`;
  // The trainer's advice (drop its weight copy) leads only when that alone brings the run under the line.
  const copy = e.weightCopy?.bytes ?? 0;
  const advice =
    options.advice === undefined ? rest
    : total - copy <= line ? `${options.advice}. Else: ${rest}`
    : `${rest}. ${options.advice}, ${formatBytes(copy)} less: not enough alone`;
  if (total > limit) {
    // The advice is a hint: it follows the location (recipe.yaml:5:9), as the house errors do.
    throw new ConfigError([{ path: at, message: `does not fit the wasm backend: ${breakdown}${activations}, but ${cap}`, hint: `${advice}.` }]);
  }
  if (total > limit * WASM_MEMORY_WARN_FRACTION) {
    const share = Math.round((total / limit) * 100);
    return `${at}: ${breakdown}${activations}, ${share}% of the wasm backend's ${formatBytes(limit)} memory${act === undefined ? '; activations may not fit' : ''}. ${advice}.`;
  }
  return undefined;
}
