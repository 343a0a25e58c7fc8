import type { RopeScaling, YarnRopeScaling } from '../../model/rope-scaling-config';

/** HF keys of each `rope_type` Floe reads, beside `rope_type` / `type` (required first, then optional). */
const HF_KEYS = {
  llama3: { required: ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'], optional: [] },
  linear: { required: ['factor'], optional: [] },
  yarn: { required: ['factor'], optional: ['original_max_position_embeddings', 'beta_fast', 'beta_slow', 'attention_factor', 'mscale', 'mscale_all_dim', 'truncate'] },
  dynamic: { required: ['factor'], optional: ['original_max_position_embeddings'] },
} as const;

type HfType = keyof typeof HF_KEYS;

const SUPPORTED =
  'Floe supports rope_scaling null (plain RoPE with rope_theta) or rope_type "llama3" (factor, low_freq_factor, high_freq_factor, original_max_position_embeddings), ' +
  '"linear" (factor), "yarn" (factor; optional original_max_position_embeddings, beta_fast, beta_slow, attention_factor, mscale, mscale_all_dim, truncate) ' +
  'or "dynamic" (factor; within max_position_embeddings)';

/**
 * `rope_scaling` of a HF Llama-family `config.json` as Floe's `ropeScaling`, read as transformers'
 * `modeling_rope_utils.py` does: null, absent or `rope_type: default` is plain RoPE; `llama3`,
 * `linear`, `yarn` and `dynamic` map their numbers; `longrope` and others are refused, naming
 * what is supported. Problems go to `problems` (the caller reports them with the file).
 */
export function readHfRopeScaling(scaling: unknown, maxPositions: number, problems: string[]): RopeScaling | undefined {
  if (scaling === undefined || scaling === null) return undefined;
  if (typeof scaling !== 'object' || Array.isArray(scaling)) {
    problems.push(`rope_scaling is ${JSON.stringify(scaling)}; ${SUPPORTED}`);
    return undefined;
  }
  const s = scaling as Record<string, unknown>;
  const kind = s.rope_type ?? s.type;
  if (kind === 'default') return undefined;
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(HF_KEYS, kind)) {
    problems.push(`rope_scaling has type ${JSON.stringify(kind)} (${JSON.stringify(scaling)}); ${SUPPORTED}: longrope and other types are not implemented`);
    return undefined;
  }
  const type = kind as HfType;
  const { required, optional } = HF_KEYS[type];
  const before = problems.length;
  const unknown = Object.keys(s).filter((key) => key !== 'rope_type' && key !== 'type' && !(required as readonly string[]).includes(key) && !(optional as readonly string[]).includes(key));
  if (unknown.length > 0) problems.push(`rope_scaling (${type}) has ${unknown.join(', ')}, which Floe does not read; ${type} takes ${[...required, ...optional].join(', ')}`);
  // Positive numbers; null counts as absent for optional keys, as HF's `.get(key) or default`.
  const isNumber = (key: string): boolean => typeof s[key] === 'number' && Number.isFinite(s[key]) && (s[key] as number) > 0;
  const badRequired = required.filter((key) => !isNumber(key));
  if (badRequired.length > 0) problems.push(`rope_scaling (${type}) needs positive numbers ${required.join(', ')}; got ${badRequired.map((key) => `${key} ${JSON.stringify(s[key])}`).join(', ')}`);
  const given = (key: string): boolean => s[key] !== undefined && s[key] !== null;
  const badOptional = optional.filter((key) => given(key) && (key === 'truncate' ? typeof s[key] !== 'boolean' : !isNumber(key)));
  if (badOptional.length > 0) problems.push(`rope_scaling (${type}) ${badOptional.map((key) => `${key} is ${JSON.stringify(s[key])}`).join(', ')}; expected ${badOptional.map((key) => (key === 'truncate' ? 'true or false' : 'a positive number')).join(', ')}`);
  if (problems.length > before) return undefined;
  const factor = s.factor as number;
  if (!(factor >= 1)) problems.push(`rope_scaling (${type}) factor ${factor} must be at least 1 (it lengthens the context)`);
  const original = given('original_max_position_embeddings') ? (s.original_max_position_embeddings as number) : undefined;
  if (original !== undefined && !Number.isSafeInteger(original)) problems.push(`rope_scaling (${type}) original_max_position_embeddings ${original} must be a whole number`);
  if (type === 'llama3') {
    const [lowFreqFactor, highFreqFactor] = [s.low_freq_factor as number, s.high_freq_factor as number];
    if (!(highFreqFactor > lowFreqFactor)) problems.push(`rope_scaling (llama3) high_freq_factor ${highFreqFactor} must be greater than low_freq_factor ${lowFreqFactor}`);
    return { type, factor, lowFreqFactor, highFreqFactor, originalMaxLength: original as number };
  }
  if (type === 'linear') return { type, factor };
  if (type === 'dynamic') {
    // transformers rescales only for sequences past max_position_embeddings (4.45–4.5x; newer
    // versions may read original_max_position_embeddings): plain RoPE up to both, Floe's context.
    if (original !== undefined && original < maxPositions) {
      problems.push(
        `rope_scaling (dynamic) original_max_position_embeddings ${original} is below max_position_embeddings ${maxPositions}: HF's dynamic NTK would raise the RoPE base per sequence length past ${original} tokens, inside the context Floe trains with, and Floe does not implement that; Floe takes dynamic scaling only where it is plain RoPE (original_max_position_embeddings absent or ≥ max_position_embeddings)`,
      );
    }
    return { type, factor, originalMaxLength: original ?? maxPositions };
  }
  return readYarn(s, { factor, original, maxPositions, problems });
}

/**
 * YaRN's numbers. Which factor transformers uses with `original_max_position_embeddings` set has
 * changed between versions (4.50–4.5x take `max_position_embeddings / original_max_position_embeddings`
 * over `factor`; others take `factor`), so Floe reads such a folder only when the two agree; without
 * it the ramp is placed by max_position_embeddings, as in every version.
 */
function readYarn(s: Record<string, unknown>, o: { factor: number; original: number | undefined; maxPositions: number; problems: string[] }): YarnRopeScaling {
  const { factor, original, maxPositions } = o;
  if (original !== undefined && Math.abs(maxPositions / original - factor) > 1e-9 * factor) {
    o.problems.push(
      `rope_scaling (yarn) factor ${factor} differs from max_position_embeddings / original_max_position_embeddings = ${maxPositions} / ${original}: transformers versions disagree on which of the two scales the frequencies, so Floe needs them equal (or original_max_position_embeddings absent)`,
    );
  }
  const out: YarnRopeScaling = { type: 'yarn', factor, originalMaxLength: original ?? maxPositions };
  const optional: Array<[string, keyof YarnRopeScaling]> = [
    ['beta_fast', 'betaFast'],
    ['beta_slow', 'betaSlow'],
    ['attention_factor', 'attentionFactor'],
    ['mscale', 'mscale'],
    ['mscale_all_dim', 'mscaleAllDim'],
    ['truncate', 'truncate'],
  ];
  for (const [hf, floe] of optional) if (s[hf] !== undefined && s[hf] !== null) (out as unknown as Record<string, unknown>)[floe] = s[hf];
  return out;
}
