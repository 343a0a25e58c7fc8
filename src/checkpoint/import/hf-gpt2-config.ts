import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../../errors';
import { GptArchitecture, GptArchitectureKey } from './gpt-source';

/** GELU variants that equal Floe's tanh-form GELU (`gelu_new`). */
const TANH_GELUS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

/** A HuggingFace GPT-2 `config.json`, mapped onto Floe's GPT options. */
export interface HfGpt2Config {
  /** The config file read. */
  file: string;
  /** Floe architecture options. */
  architecture: GptArchitecture;
  /** HF key of each option, for messages. */
  fieldNames: Partial<Record<GptArchitectureKey, string>>;
}

function positiveInt(json: Record<string, unknown>, key: string, problems: string[]): number {
  const v = json[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) problems.push(`'${key}' is ${JSON.stringify(v)}, expected a positive integer`);
  return v as number;
}

/**
 * Reads `config.json` of a HuggingFace GPT-2 folder: `n_embd`, `n_head`, `n_layer`,
 * `n_positions` (or `n_ctx`), `vocab_size`, `layer_norm_epsilon`, `n_inner`,
 * `activation_function` (a tanh GELU), `tie_word_embeddings`. Variants Floe's GPT cannot express
 * (other model types, erf GELU, unscaled or layer-scaled attention, cross-attention) are errors.
 *
 * @throws CheckpointError naming the file and every problem.
 */
export async function readHfGpt2Config(dir: string): Promise<HfGpt2Config> {
  const file = path.join(dir, 'config.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(`Cannot read HuggingFace config '${file}': ${(error as Error).message}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CheckpointError(`HuggingFace config '${file}' is not a JSON object.`);
  const problems: string[] = [];
  if (json.model_type !== undefined && json.model_type !== 'gpt2') {
    problems.push(`model_type is '${String(json.model_type)}'; Floe imports GPT-2 ('gpt2') folders only`);
  }
  const dim = positiveInt(json, 'n_embd', problems);
  const heads = positiveInt(json, 'n_head', problems);
  const layers = positiveInt(json, 'n_layer', problems);
  const vocabSize = positiveInt(json, 'vocab_size', problems);
  const positionsKey = json.n_positions !== undefined ? 'n_positions' : 'n_ctx';
  const maxLength = positiveInt(json, positionsKey, problems);
  const ffnDim = json.n_inner === undefined || json.n_inner === null ? 4 * dim : positiveInt(json, 'n_inner', problems);
  const eps = json.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) problems.push(`'layer_norm_epsilon' is ${JSON.stringify(eps)}, expected a positive number`);
  const activation = json.activation_function ?? 'gelu_new';
  if (typeof activation !== 'string' || !TANH_GELUS.includes(activation)) {
    problems.push(`activation_function '${String(activation)}' is not supported (Floe's GPT uses the tanh GELU: ${TANH_GELUS.join(', ')})`);
  }
  if (json.scale_attn_weights === false) problems.push('scale_attn_weights: false is not supported (Floe scales attention by 1/sqrt(head size))');
  if (json.scale_attn_by_inverse_layer_idx === true) problems.push('scale_attn_by_inverse_layer_idx: true is not supported');
  if (json.add_cross_attention === true) problems.push('add_cross_attention: true is not supported (decoder-only)');
  const tie = json.tie_word_embeddings ?? true;
  if (typeof tie !== 'boolean') problems.push(`'tie_word_embeddings' is ${JSON.stringify(tie)}, expected true or false`);
  if (problems.length === 0 && dim % heads !== 0) problems.push(`n_head ${heads} does not divide n_embd ${dim}`);
  if (problems.length > 0) throw new CheckpointError(`Cannot import GPT-2 config '${file}': ${problems.join('; ')}.`);
  return {
    file,
    architecture: {
      vocabSize,
      maxLength,
      layers,
      heads,
      dim,
      ffnDim,
      norm: 'layernorm',
      position: 'learned',
      activation: 'gelu',
      tieEmbeddings: tie as boolean,
      bias: true,
      normEps: eps as number,
    },
    fieldNames: {
      vocabSize: 'vocab_size',
      maxLength: positionsKey,
      layers: 'n_layer',
      heads: 'n_head',
      dim: 'n_embd',
      ffnDim: 'n_inner',
      norm: 'model_type gpt2',
      position: 'model_type gpt2',
      activation: 'activation_function',
      tieEmbeddings: 'tie_word_embeddings',
      bias: 'model_type gpt2',
      normEps: 'layer_norm_epsilon',
    },
  };
}
