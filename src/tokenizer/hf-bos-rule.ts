import { DataError } from '../errors';

type JsonObject = Record<string, unknown>;

/** Whether a HuggingFace tokenizer puts bos first in a sequence, and which file says so. */
export interface HfBosRule {
  /** True when HuggingFace's `tokenizer(text)` starts the ids with bos. */
  addsBos: boolean;
  /** The setting that decided it, for the run log: `tokenizer_config.json add_bos_token`, ... */
  source: string;
}

/**
 * The bos rule of a HuggingFace tokenizer, as transformers applies it: tokenizer_config.json's
 * `add_bos_token` when it is written (LlamaTokenizerFast rebuilds its post-processor from it),
 * else whether tokenizer.json's `post_processor` starts a single sequence with the bos token
 * (TemplateProcessing `single` beginning with it, Bert/RobertaProcessing's `cls`, the last of a
 * Sequence's processors that prepends something). `bosId` is undefined when the tokenizer has no
 * bos token of its own (Floe then uses eos as bos, and no rule adds it).
 * @throws DataError when `add_bos_token` is neither a boolean nor null.
 */
export function hfBosRule(options: {
  config: JsonObject;
  tokenizerJson: JsonObject;
  bosId: number | undefined;
  tokenToId: (token: string) => number | undefined;
  configSource: string;
}): HfBosRule {
  const written = options.config.add_bos_token;
  if (written !== undefined && written !== null && typeof written !== 'boolean') {
    throw new DataError(`${options.configSource}: field 'add_bos_token' is ${JSON.stringify(written)}; expected true, false or null (then tokenizer.json's post_processor decides).`);
  }
  if (options.bosId === undefined) return { addsBos: false, source: 'the tokenizer has no bos token of its own' };
  if (typeof written === 'boolean') return { addsBos: written, source: 'tokenizer_config.json add_bos_token' };
  const first = firstSpecial(options.tokenizerJson.post_processor);
  if (first === undefined) return { addsBos: false, source: "tokenizer.json's post_processor adds no token first" };
  const id = options.tokenToId(first.token) ?? first.id;
  const addsBos = id === options.bosId;
  return { addsBos, source: `tokenizer.json post_processor (${first.processor} puts '${first.token}' first)` };
}

/** The special token a post-processor puts before a single sequence, if any. */
function firstSpecial(config: unknown): { token: string; id: number | undefined; processor: string } | undefined {
  if (config === null || typeof config !== 'object') return undefined;
  const c = config as JsonObject;
  switch (c.type) {
    case 'TemplateProcessing': {
      if (!Array.isArray(c.single) || c.single.length === 0) return undefined;
      const head = c.single[0] as JsonObject | null;
      const special = head !== null && typeof head === 'object' ? (head.SpecialToken as JsonObject | undefined) : undefined;
      if (special === undefined || typeof special.id !== 'string') return undefined;
      const entry = (c.special_tokens as Record<string, { ids?: unknown }> | undefined)?.[special.id];
      const ids = Array.isArray(entry?.ids) ? entry.ids : [];
      return { token: special.id, id: typeof ids[0] === 'number' ? ids[0] : undefined, processor: 'TemplateProcessing' };
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const cls = c.cls;
      if (!Array.isArray(cls) || typeof cls[0] !== 'string') return undefined;
      return { token: cls[0], id: typeof cls[1] === 'number' ? cls[1] : undefined, processor: c.type };
    }
    case 'Sequence': {
      // Each processor runs on the output of the one before: the last one to prepend wins.
      const processors = Array.isArray(c.processors) ? c.processors : [];
      for (let i = processors.length - 1; i >= 0; i--) {
        const found = firstSpecial(processors[i]);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
