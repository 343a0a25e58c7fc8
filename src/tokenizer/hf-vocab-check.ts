type JsonObject = Record<string, unknown>;

/** Model types Floe loads (the tokenizers library guesses at others, silently). */
export const HF_MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram', 'WordLevel'] as const;

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const show = (v: unknown): string => (typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'` : JSON.stringify(v) ?? String(v));

/**
 * What is wrong with the ids of a tokenizer.json, or undefined: an unknown model type, a vocab
 * id that is not a non-negative integer, two tokens sharing an id, an added token whose id
 * disagrees with the vocabulary, a BPE merge of tokens not in the vocabulary. The tokenizers
 * library takes each of these silently and maps text to wrong ids (a special token on the id of
 * a letter, an id of -1 into the embedding). Call after {@link hfModelProblem} found the fields.
 */
export function hfVocabProblem(json: JsonObject): string | undefined {
  const model = json.model as JsonObject;
  if (typeof model.type === 'string' && !(HF_MODEL_TYPES as readonly string[]).includes(model.type)) {
    return `"model.type" is ${show(model.type)}; supported: ${HF_MODEL_TYPES.join(', ')}`;
  }
  // Token → id of the model's vocabulary, and id → token to find ids given twice.
  const ids = new Map<string, number>();
  const tokens = new Map<number, string>();
  const take = (token: string, id: number, at: string): string | undefined => {
    const other = tokens.get(id);
    if (other !== undefined && other !== token) return `${at} gives id ${id} to ${show(token)}, but ${show(other)} has it too; each id names one token`;
    if (ids.has(token)) return `${at}: token ${show(token)} is listed twice`;
    ids.set(token, id);
    tokens.set(id, token);
    return undefined;
  };
  if (Array.isArray(model.vocab)) {
    // Unigram: [piece, score] pairs, the id being the position (a piece listed twice is left
    // as HuggingFace leaves it: the later id wins).
    for (const [i, entry] of model.vocab.entries()) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') return `"model.vocab[${i}]" is ${show(entry)}; a Unigram vocab entry is [piece, score]`;
      ids.set(entry[0], i);
      tokens.set(i, entry[0]);
    }
  } else if (model.vocab !== null && typeof model.vocab === 'object') {
    for (const [token, id] of Object.entries(model.vocab as JsonObject)) {
      if (!isId(id)) return `"model.vocab" gives ${show(token)} the id ${show(id)}; ids are whole numbers from 0`;
      const problem = take(token, id, '"model.vocab"');
      if (problem !== undefined) return problem;
    }
  } else return undefined;
  return addedTokensProblem(json.added_tokens, ids, tokens) ?? mergesProblem(model, ids);
}

/** Added tokens must agree with the vocabulary: the same id for the same text, no id taken twice. */
function addedTokensProblem(added: unknown, ids: Map<string, number>, tokens: Map<number, string>): string | undefined {
  if (!Array.isArray(added)) return undefined;
  const seen = new Map<number, string>();
  for (const [i, t] of added.entries()) {
    const { id, content } = (t ?? {}) as JsonObject;
    const at = `"added_tokens[${i}]"`;
    if (typeof content !== 'string' || !isId(id)) return `${at} is ${show(t)}; an added token needs "content" (a string) and "id" (a whole number from 0)`;
    const vocabId = ids.get(content);
    if (vocabId !== undefined && vocabId !== id) return `${at} gives ${show(content)} the id ${id}, but "model.vocab" gives it ${vocabId}; the two must agree`;
    const owner = tokens.get(id) ?? seen.get(id);
    if (owner !== undefined && owner !== content) return `${at} gives ${show(content)} the id ${id}, which ${show(owner)} has already; each id names one token`;
    seen.set(id, content);
  }
  return undefined;
}

/** Each BPE merge joins two tokens of the vocabulary (HuggingFace tokenizers refuses others at load). */
function mergesProblem(model: JsonObject, ids: Map<string, number>): string | undefined {
  if (model.type !== 'BPE' || !Array.isArray(model.merges)) return undefined;
  for (const [i, merge] of model.merges.entries()) {
    const pair = typeof merge === 'string' ? merge.split(' ') : merge;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => typeof p !== 'string')) return `"model.merges[${i}]" is ${show(merge)}; a merge is "a b" or ["a", "b"]`;
    const missing = (pair as string[]).find((p) => !ids.has(p));
    if (missing !== undefined) return `"model.merges[${i}]" (${show(merge)}) joins ${show(missing)}, which is not in "model.vocab"`;
  }
  return undefined;
}
