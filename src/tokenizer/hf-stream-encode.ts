import type { Tokenizer as HfCoreTokenizer } from '@huggingface/tokenizers';

/** What the streaming path uses of @huggingface/tokenizers' model (read at run time, not all in its types). */
interface CoreModel {
  encode(tokens: string[]): string[];
  tokens_to_ids: Map<string, number>;
  unk_token_id?: number;
  fuse_unk?: boolean;
  merges?: unknown;
  bpe?: unknown;
  end_of_word_suffix?: unknown;
  continuing_subword_suffix?: unknown;
  ignore_merges?: boolean;
}

/** The parts of the core Tokenizer that its own `encode_text` uses. */
interface CoreParts {
  splitter_unnormalized: { split(text: string): string[] };
  splitter_normalized: { split(text: string): string[] };
  added_tokens_map: Map<string, { lstrip?: boolean; rstrip?: boolean }>;
  remove_space?: boolean;
  do_lowercase_and_remove_accent?: boolean;
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options: { section_index: number }) => string[]) | null;
  model: CoreModel;
}

// Pre-tokens handed to the model per call: bounds the token strings alive at once.
const BATCH_WORDS = 4096;
// BPE words longer than this are cut where no merge can join the two sides (see bpeSegmenter).
const SEGMENT_ABOVE = 256;

/**
 * The core library's `encode(text, { add_special_tokens: false })` token by token, without its
 * whole-text intermediates: it normalizes and pre-tokenizes as the library does, then feeds the
 * model a few thousand pre-tokens at a time and hands each batch of token strings to `emit`.
 * A BPE "word" the pre-tokenizer leaves whole (Metaspace here never splits; a text without
 * spaces) is cut where no merge can cross, which BPE's result does not depend on. Undefined
 * when the tokenizer has a part this does not reproduce exactly; use the library then.
 */
export function hfStreamEncoder(core: HfCoreTokenizer, tokenizerJson: Record<string, unknown>): ((text: string, emit: (tokens: string[]) => void) => void) | undefined {
  const parts = core as unknown as Partial<CoreParts>;
  const model = parts.model;
  if (parts.splitter_unnormalized === undefined || parts.splitter_normalized === undefined || !(parts.added_tokens_map instanceof Map)) return undefined;
  if (model === undefined || typeof model.encode !== 'function' || !(model.tokens_to_ids instanceof Map)) return undefined;
  if (parts.do_lowercase_and_remove_accent === true || !postProcessorKeepsTokens(tokenizerJson.post_processor)) return undefined;
  const c = parts as CoreParts;
  const segment = bpeSegmenter(model);
  return (text, emit) => {
    const sections = c.splitter_unnormalized.split(text);
    stripAround(sections, c.added_tokens_map);
    sections.forEach((section, sectionIndex) => {
      if (section.length === 0) return;
      if (c.added_tokens_map.has(section)) return emit([section]);
      let processed = section;
      if (c.remove_space === true) processed = processed.trim().split(/\s+/).join(' ');
      if (c.normalizer !== null) processed = c.normalizer(processed);
      if (processed.length === 0) return;
      const subsections = c.splitter_normalized.split(processed);
      stripAround(subsections, c.added_tokens_map);
      for (const sub of subsections) {
        if (sub.length === 0) continue;
        if (c.added_tokens_map.has(sub)) {
          emit([sub]);
          continue;
        }
        const words = c.pre_tokenizer !== null ? c.pre_tokenizer(sub, { section_index: sectionIndex }) : [sub];
        runModel(model, words, segment, emit);
      }
    });
  };
}

/** The library's lstrip/rstrip of the text around added tokens, in place. */
function stripAround(pieces: string[], added: CoreParts['added_tokens_map']): void {
  pieces.forEach((piece, i) => {
    const token = added.get(piece);
    if (token === undefined) return;
    if (token.lstrip === true && i > 0) pieces[i - 1] = pieces[i - 1].trimEnd();
    if (token.rstrip === true && i < pieces.length - 1) pieces[i + 1] = pieces[i + 1].trimStart();
  });
}

/** One `model(words)` call of the library, in batches; a trailing unk run waits for the next batch so fuse_unk sees it whole. */
function runModel(model: CoreModel, words: string[], segment: ((word: string, take: (piece: string) => void) => void) | undefined, emit: (tokens: string[]) => void): void {
  const fuse = model.fuse_unk === true;
  const isUnk = (t: string): boolean => (model.tokens_to_ids.get(t) ?? model.unk_token_id) === model.unk_token_id;
  let carry: string[] = [];
  let batch: string[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    const out = model.encode(batch);
    batch = [];
    if (!fuse) return emit(out);
    const tokens = carry.length === 0 ? out : carry.concat(out);
    let k = tokens.length;
    while (k > 0 && isUnk(tokens[k - 1])) k--;
    carry = tokens.slice(k);
    if (k > 0) emit(fuseUnk(k === tokens.length ? tokens : tokens.slice(0, k), isUnk, model.tokens_to_ids, model.unk_token_id));
  };
  const take = (word: string): void => {
    batch.push(word);
    if (batch.length >= BATCH_WORDS) flush();
  };
  for (let i = 0; i < words.length; i++) {
    if (segment !== undefined && words[i].length > SEGMENT_ABOVE) segment(words[i], take);
    else take(words[i]);
  }
  flush();
  if (carry.length > 0) emit(fuseUnk(carry, isUnk, model.tokens_to_ids, model.unk_token_id));
}

/** The library's fuse_unk: a run of unknown tokens becomes one (joined unless it starts with the unk token itself). */
function fuseUnk(tokens: string[], isUnk: (t: string) => boolean, vocab: Map<string, number>, unkId: number | undefined): string[] {
  const fused: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    fused.push(tokens[i]);
    if (!isUnk(tokens[i])) {
      i++;
      continue;
    }
    while (++i < tokens.length && isUnk(tokens[i])) {
      if (vocab.get(fused[fused.length - 1]) !== unkId) fused[fused.length - 1] += tokens[i];
    }
  }
  return fused;
}

/**
 * For a plain BPE model, a function that cuts a word into pieces whose BPE results concatenate
 * to the word's: BPE only merges a pair (L, R) of the merge list, so a cut between characters
 * a and b is never crossed when no merge has an L ending in a and an R starting with b. Merges
 * on either side then happen in the same order as in the whole word (rank first, then position).
 * Undefined for models whose result depends on where the word ends (suffixes, ignore_merges).
 */
function bpeSegmenter(model: CoreModel): ((word: string, take: (piece: string) => void) => void) | undefined {
  if (typeof model.bpe !== 'function' || !Array.isArray(model.merges)) return undefined;
  if (model.ignore_merges === true || Boolean(model.end_of_word_suffix) || Boolean(model.continuing_subword_suffix)) return undefined;
  const joins = new Map<number, Set<number>>();
  for (const merge of model.merges as unknown[]) {
    if (!Array.isArray(merge) || typeof merge[0] !== 'string' || typeof merge[1] !== 'string' || merge[0] === '' || merge[1] === '') return undefined;
    // Characters as BPE sees them: Array.from splits by code point, as bpe() does.
    const leftChars = Array.from(merge[0] as string);
    const lastCp = leftChars[leftChars.length - 1].codePointAt(0) as number;
    const first = (merge[1] as string).codePointAt(0) as number;
    let set = joins.get(lastCp);
    if (set === undefined) joins.set(lastCp, (set = new Set()));
    set.add(first);
  }
  return (word, take) => {
    let start = 0;
    let prev = word.codePointAt(0) as number;
    let i = prev > 0xffff ? 2 : 1;
    while (i < word.length) {
      const cp = word.codePointAt(i) as number;
      if (joins.get(prev)?.has(cp) !== true) {
        take(word.slice(start, i));
        start = i;
      }
      prev = cp;
      i += cp > 0xffff ? 2 : 1;
    }
    take(word.slice(start));
  };
}

/** True when the post-processor returns a single sequence's tokens unchanged without special tokens. */
function postProcessorKeepsTokens(config: unknown): boolean {
  if (config === null || config === undefined) return true;
  if (typeof config !== 'object') return false;
  const c = config as Record<string, unknown>;
  switch (c.type) {
    case 'ByteLevel':
    case 'BertProcessing':
    case 'RobertaProcessing':
      return true;
    case 'TemplateProcessing': {
      if (!Array.isArray(c.single)) return false;
      const sequences = c.single.filter((item: unknown) => typeof item === 'object' && item !== null && 'Sequence' in item);
      const others = c.single.filter((item: unknown) => typeof item === 'object' && item !== null && !('Sequence' in item) && 'SpecialToken' in item);
      return sequences.length === 1 && (sequences[0] as { Sequence?: { id?: unknown } }).Sequence?.id === 'A' && sequences.length + others.length === c.single.length;
    }
    case 'Sequence':
      return Array.isArray(c.processors) && c.processors.every((p: unknown) => postProcessorKeepsTokens(p));
    default:
      return false;
  }
}

/** Ids appended into a growing Int32Array (4 bytes each), turned into a `number[]` once. */
export class IdBuffer {
  private data = new Int32Array(1024);
  private length = 0;

  /** Appends one id. */
  push(id: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = id;
  }

  /** The ids as a packed `number[]` of exactly their count. */
  toArray(): number[] {
    // new Array(n).fill(0) is a packed array of n small integers with no growth copies.
    const ids = new Array<number>(this.length).fill(0);
    for (let i = 0; i < this.length; i++) ids[i] = this.data[i];
    this.data = new Int32Array(0);
    this.length = 0;
    return ids;
  }
}
