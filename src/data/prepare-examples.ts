import { FloeError } from '../errors';
import { ChatTemplateOptions, Tokenizer, formatChatDate, tokenizerFingerprint } from '../tokenizer';
import { appendAll } from './append-all';
import { CausalPacker } from './causal-packer';
import { decodeExamples, encodeExamples } from './example-codec';
import { formatOrigin } from './data-record';
import { LmExample } from './lm-example';
import { SftPacker } from './sft-packer';
import { DataSource } from './sources/data-source';
import { TokenCache } from './token-cache';
import { tokenizeRecord } from './tokenize-record';

// Bump when tokenization or packing changes meaning, so old cache entries are not reused.
// 2: stats count unknown tokens.
const PIPELINE_VERSION = 2;

/** Options of {@link prepareExamples}. */
export interface PrepareExamplesOptions {
  /** Where records come from, read in order. */
  sources: readonly DataSource[];
  /** Tokenizer to apply. */
  tokenizer: Tokenizer;
  /** `causal`: pack all text into full windows; `sft`: completion-only rows (see SftPacker). */
  mode: 'causal' | 'sft';
  /** Tokens per row. */
  maxLength: number;
  /** Chat formatting (a `{date}` system prompt is resolved once, so the cache key is stable per day). */
  chat?: ChatTemplateOptions;
  /** Put bos before text records. Default false. */
  addBos?: boolean;
  /** sft: several conversations per row with segment ids. Default false. */
  packing?: boolean;
  /** Pad rows to a multiple of this (sft rows; causal rows are padded by the collator). Default 1. */
  padToMultipleOf?: number;
  /** causal: keep or drop the final partial window. Default `keep`. */
  remainder?: 'keep' | 'drop';
  /** Cache folder; no caching when absent. */
  cacheDir?: string;
  /** The user's data config as plain JSON; part of the cache key. */
  dataConfig?: unknown;
}

/** Counts from tokenization. */
export interface PrepareStats {
  /** Records read. */
  records: number;
  /** Tokens produced by the tokenizer (before packing/padding). */
  tokens: number;
  /** sft: documents cut to maxLength + 1. */
  truncated: number;
  /** sft: documents dropped for having nothing to train on. */
  dropped: number;
  /** causal: labels of the final partial window left out by `remainder: 'drop'`. */
  remainderDropped: number;
  /** Tokens that are the tokenizer's unknown token (text its vocabulary lacks). */
  unknown: number;
  /** file:line of the first record with an unknown token. */
  firstUnknown?: string;
}

/** Result of {@link prepareExamples}. */
export interface PreparedExamples {
  /** Rows ready for splitting and batching. */
  examples: LmExample[];
  /** True if loaded from the cache. */
  cacheHit: boolean;
  /** sha256 key of this data + tokenizer + processing combination. */
  cacheKey: string;
  /** Counts from the run that built the entry. */
  stats: PrepareStats;
}

/**
 * Reads every source, tokenizes and packs the records, and, with `cacheDir`, stores the result
 * under a key hashed from the data config, processing options, source fingerprints (file sizes
 * and times) and the tokenizer's identity, so a second identical load skips tokenization.
 */
export async function prepareExamples(options: PrepareExamplesOptions): Promise<PreparedExamples> {
  if (options.sources.length === 0) throw new FloeError('prepareExamples: no data sources given (expected at least one).');
  // A template's strftime_now writes today's date too, so then the date is part of the key as well.
  const dated = options.chat?.systemPrompt !== undefined || options.chat?.template?.text.includes('strftime_now') === true;
  const chat: ChatTemplateOptions | undefined = dated ? { ...options.chat, date: formatChatDate(options.chat?.date) } : options.chat;
  const resolved = { ...options, chat };
  // The template's text and variables decide the ids; where it was read from does not.
  const keyChat = chat?.template === undefined ? chat : { ...chat, template: { text: chat.template.text, specialTokens: chat.template.specialTokens ?? {} } };
  const cacheKey = TokenCache.keyOf({
    version: PIPELINE_VERSION,
    dataConfig: options.dataConfig ?? null,
    processing: {
      mode: options.mode,
      maxLength: options.maxLength,
      chat: keyChat ?? null,
      addBos: options.addBos ?? false,
      packing: options.packing ?? false,
      padToMultipleOf: options.padToMultipleOf ?? 1,
      remainder: options.remainder ?? 'keep',
    },
    sources: await Promise.all(options.sources.map((s) => s.fingerprint())),
    tokenizer: tokenizerFingerprint(options.tokenizer),
  });
  if (options.cacheDir === undefined) {
    return { ...(await build(resolved)), cacheHit: false, cacheKey };
  }
  const cache = new TokenCache({ dir: options.cacheDir });
  const codec = {
    encode: (v: { examples: LmExample[]; stats: PrepareStats }) => encodeExamples(v.examples, v.stats),
    decode: (bytes: Buffer, file: string) => {
      const { examples, meta } = decodeExamples(bytes, file);
      return { examples, stats: meta as PrepareStats };
    },
  };
  const result = await cache.getOrBuild(cacheKey, codec, () => build(resolved));
  return { ...result.value, cacheHit: result.cacheHit, cacheKey };
}

async function build(options: PrepareExamplesOptions): Promise<{ examples: LmExample[]; stats: PrepareStats }> {
  const { tokenizer, mode, maxLength } = options;
  const stats: PrepareStats = { records: 0, tokens: 0, truncated: 0, dropped: 0, remainderDropped: 0, unknown: 0 };
  const examples: LmExample[] = [];
  const causal = mode === 'causal' ? new CausalPacker({ maxLength, remainder: options.remainder }) : undefined;
  const sft =
    mode === 'sft' ? new SftPacker({ maxLength, padId: tokenizer.padId, packing: options.packing, padToMultipleOf: options.padToMultipleOf }) : undefined;
  for (const source of options.sources) {
    for await (const record of source) {
      const doc = tokenizeRecord(record, tokenizer, { chat: options.chat, addBos: options.addBos });
      stats.records++;
      stats.tokens += doc.ids.length;
      const unknown = tokenizer.unkId === undefined ? 0 : countOf(doc.ids, tokenizer.unkId);
      if (unknown > 0 && stats.unknown === 0) stats.firstUnknown = formatOrigin(record.origin);
      stats.unknown += unknown;
      if (causal !== undefined) appendAll(examples, causal.push(doc.ids));
      else if (sft !== undefined) appendAll(examples, sft.push(doc));
    }
  }
  if (causal !== undefined) {
    appendAll(examples, causal.finish());
    stats.remainderDropped = causal.droppedLabels;
  }
  if (sft !== undefined) {
    appendAll(examples, sft.finish());
    stats.truncated = sft.stats.truncated;
    stats.dropped = sft.stats.dropped;
  }
  return { examples, stats };
}

function countOf(ids: readonly number[], id: number): number {
  let n = 0;
  for (const x of ids) if (x === id) n++;
  return n;
}
