import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { readSafetensorsHeader } from '../formats/read-safetensors';
import { listNames } from '../non-finite-values';
import type { LoadSourceWeightsOptions, WeightTarget } from './gpt-source';

/** Safetensors dtypes a HF import widens to float32. */
const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];

/** Most problems one planning error lists before `and N more`. */
const MAX_PROBLEMS = 12;

/** Where one HF tensor goes: a whole Floe weight, or one named block of a packed one (Llama's q/k/v). */
export interface HfTensorPlace {
  /** Floe parameter name. */
  target: string;
  /** Transpose PyTorch's `nn.Linear` `[out, in]` to Floe's `[in, out]` on the way in. */
  transpose: boolean;
  /** The block of `target` this tensor fills (`q`, `k`, `v`); the whole weight when absent. */
  part?: string;
}

/** One source tensor of a {@link planHfWeights} plan. */
export interface PlannedHfTensor extends HfTensorPlace {
  /** The safetensors file holding it. */
  file: string;
  /** Its HF name. */
  hfName: string;
}

/** Options of {@link planHfWeights}: what differs between HF model families. */
export interface PlanHfWeightsOptions {
  /** The folder's safetensors files, in load order. */
  files: readonly string[];
  /** The model's load targets, by Floe name. */
  params: ReadonlyMap<string, WeightTarget>;
  /** The family as messages name it: `GPT-2`, `Llama`. */
  family: string;
  /** Where a HF tensor goes; `ignore` for one knowingly left out (a buffer, a tied head), `unknown` for one the family does not have. */
  place(hfName: string): HfTensorPlace | 'ignore' | 'unknown';
  /** The shape a `part` of a target of `shape` takes, as Floe holds it (before any transpose). */
  partShape?(shape: readonly number[], part: string): number[];
  /** The problem when Floe weight `name` is not fully covered (`covered` holds targets and `target/part` keys), or undefined. */
  unloaded(name: string, covered: ReadonlySet<string>): string | undefined;
  /** How messages name a source tensor: `'wpe.weight'`, or with its file. */
  tensorLabel(hfName: string, file: string): string;
  /** The problem when a second tensor fills `key` (a target, or `target/part`). */
  storedTwice(hfName: string, key: string, file: string): string;
}

/** The targets a HF folder must cover: all but the `optional` ones (LoRA factors, which a HF folder never holds: they keep their init). */
export function requiredHfTargets(all: ReadonlyMap<string, WeightTarget>, options: LoadSourceWeightsOptions): Map<string, WeightTarget> {
  const optional = options.optional ?? new Set<string>();
  return new Map([...all].filter(([name]) => !optional.has(name)));
}

/**
 * Checks every tensor of a HF folder's safetensors files (name, dtype, shape) from the headers
 * alone, and says where each goes: nothing is loaded or assigned until the whole folder is known
 * to fit the model. Every target must be covered (`unloaded`) and every tensor placed or
 * knowingly ignored.
 * @throws CheckpointError listing every problem (the first 12) with the files.
 */
export async function planHfWeights(options: PlanHfWeightsOptions): Promise<PlannedHfTensor[]> {
  const { files, params } = options;
  const planned: PlannedHfTensor[] = [];
  const problems: string[] = [];
  const covered = new Set<string>();
  for (const file of files) {
    const header = await readSafetensorsHeader(file);
    for (const e of header.entries) {
      const place = options.place(e.name);
      if (place === 'ignore') continue;
      if (place === 'unknown') {
        problems.push(`unexpected tensor '${e.name}' in ${path.basename(file)}`);
        continue;
      }
      const { target, transpose, part } = place;
      const label = options.tensorLabel(e.name, file);
      const variable = params.get(target);
      if (variable === undefined) {
        problems.push(`${label} maps to '${target}', which a model of this config does not have`);
        continue;
      }
      const floeShape = part === undefined || options.partShape === undefined ? variable.shape : options.partShape(variable.shape, part);
      const want = transpose ? [...floeShape].reverse() : floeShape;
      const key = part === undefined ? target : `${target}/${part}`;
      if (!tf.util.arraysEqual(e.shape, want)) problems.push(`${label} has shape [${e.shape}] but the config implies [${want}]`);
      else if (!FLOAT_DTYPES.includes(e.dtype)) problems.push(`'${e.name}' has dtype ${e.dtype}, expected a float type (${FLOAT_DTYPES.join(', ')})`);
      else if (covered.has(key)) problems.push(options.storedTwice(e.name, key, file));
      else {
        covered.add(key);
        planned.push({ file, hfName: e.name, target, transpose, ...(part === undefined ? {} : { part }) });
      }
    }
  }
  for (const name of params.keys()) {
    const problem = options.unloaded(name, covered);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS).join('; ');
    const more = problems.length > MAX_PROBLEMS ? `; and ${problems.length - MAX_PROBLEMS} more` : '';
    throw new CheckpointError(`Cannot load ${options.family} weights from ${files.join(', ')}: ${shown}${more}.`);
  }
  return planned;
}

/**
 * Throws when loaded weights hold NaN or an infinity (as a Floe checkpoint's would be refused):
 * trained weights never do, and F64 values beyond float32's range widen to infinities. Such a
 * model would only give NaN losses and text from NaN logits.
 * @throws CheckpointError naming the folder, the files and the tensors.
 */
export function refuseNonFiniteHfWeights(family: string, dir: string, bad: readonly Pick<PlannedHfTensor, 'file' | 'hfName'>[]): void {
  if (bad.length === 0) return;
  const files = [...new Set(bad.map((p) => path.basename(p.file)))].join(', ');
  throw new CheckpointError(
    `Cannot load ${family} weights from '${dir}': ${files} ${files.includes(',') ? 'hold' : 'holds'} NaN or infinite values, in ${listNames(bad.map((p) => p.hfName))} (after widening to float32). ` +
      'Trained weights never hold them, so the file is damaged or was converted wrongly: download or convert the model again.',
  );
}
