import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { Tokenizer as HfCoreTokenizer } from '@huggingface/tokenizers';
import { jsonErrorMessage, jsonErrorPosition } from '../data/json-position';
import { DataError } from '../errors';
import { fsReadReason } from '../errors/fs-error-reason';
import { guardBpeDrops } from './bpe-drop-guard';
import { HfBosRule, hfBosRule } from './hf-bos-rule';
import { hfChatTemplate, hfChatTemplateMissing, hfTemplateSpecialTokens, tokenString, wantsChatTemplateFile } from './hf-chat-template';
import { JinjaChatTemplate } from './jinja-chat-template';
import { Tokenizer } from './tokenizer';
import { hfModelProblem } from './hf-model-shape';
import { IdBuffer, hfStreamEncoder } from './hf-stream-encode';
import { hfVocabProblem } from './hf-vocab-check';

/** Where to find a HuggingFace tokenizer and which special tokens to use. */
export interface HfTokenizerOptions {
  /** Path to `tokenizer.json`, or to a folder holding it (and maybe `tokenizer_config.json`). */
  path: string;
  /** Path to `tokenizer_config.json`; defaults to the one next to tokenizer.json, if present. */
  configPath?: string;
  /** Begin-of-sequence token string; overrides the config. Falls back to the eos token. */
  bosToken?: string;
  /** End-of-sequence token string; overrides the config. */
  eosToken?: string;
  /** Padding token string; overrides the config. Falls back to the eos token. */
  padToken?: string;
}

/** Special-token choices for {@link HfTokenizer.fromJson}. */
export type HfSpecialTokens = Pick<HfTokenizerOptions, 'bosToken' | 'eosToken' | 'padToken'>;

type JsonObject = Record<string, unknown>;

// Tried in order when neither the options nor tokenizer_config.json name a token.
const EOS_CANDIDATES = ['</s>', '<|endoftext|>', '<|end_of_text|>', '<eos>', '[SEP]', '<|im_end|>'];
const BOS_CANDIDATES = ['<s>', '<|begin_of_text|>', '<bos>', '[CLS]'];
const PAD_CANDIDATES = ['<pad>', '[PAD]', '<|pad|>'];

/**
 * A HuggingFace `tokenizer.json` (BPE, WordPiece, Unigram, ...) loaded from local files with
 * `@huggingface/tokenizers`; never touches the network.
 */
export class HfTokenizer implements Tokenizer {
  /** Largest id in the vocabulary (added tokens included) plus one. */
  readonly vocabSize: number;
  /** Resolved begin-of-sequence id. */
  readonly bosId: number;
  /** Resolved end-of-sequence id. */
  readonly eosId: number;
  /** Resolved padding id. */
  readonly padId: number;
  /** The model's unknown-token id, if it has one (text it has no token for becomes this). */
  readonly unkId: number | undefined;
  /** sha256 of tokenizer.json, tokenizer_config.json and the resolved special ids. */
  readonly fingerprint: string;
  /** sha256 of the parts of tokenizer.json that decide ids (not padding, truncation, post-processor) and the special ids. */
  readonly idFingerprint: string;
  /** tokenizer_config.json's `clean_up_tokenization_spaces` (the library's default: true). */
  readonly decodeCleansUpSpaces: boolean;
  /** tokenizer_config.json's `chat_template` (or a `chat_template.jinja` beside it), if any. */
  readonly chatTemplate: JinjaChatTemplate | undefined;
  readonly chatTemplateMissing: string | undefined;
  /** The special tokens tokenizer_config.json names (the recipe's bosToken, eosToken, padToken override them), for chat templates. */
  readonly templateSpecialTokens: Readonly<Record<string, string | string[]>>;
  /** tokenizer_config.json's `add_bos_token`, else whether tokenizer.json's post-processor prepends bos (as transformers decides). */
  readonly addsBos: boolean;
  /** Which of the two decided `addsBos`. */
  readonly addsBosSource: string;

  private readonly core: HfCoreTokenizer;
  private readonly source: string;
  private readonly drops: { take(): string[] } | undefined;
  private readonly stream: ((text: string, emit: (tokens: string[]) => void) => void) | undefined;

  private constructor(
    core: HfCoreTokenizer,
    ids: { bos: number; eos: number; pad: number },
    fingerprints: { all: string; ids: string },
    source: string,
    tokenizerJson: JsonObject,
    extras: { chatTemplate: JinjaChatTemplate | undefined; chatTemplateMissing?: string; bosRule: HfBosRule; templateSpecialTokens: Record<string, string | string[]> },
  ) {
    this.core = core;
    this.chatTemplate = extras.chatTemplate;
    this.chatTemplateMissing = extras.chatTemplateMissing;
    this.templateSpecialTokens = extras.templateSpecialTokens;
    this.addsBos = extras.bosRule.addsBos;
    this.addsBosSource = extras.bosRule.source;
    this.bosId = ids.bos;
    this.eosId = ids.eos;
    this.padId = ids.pad;
    this.fingerprint = fingerprints.all;
    this.idFingerprint = fingerprints.ids;
    this.source = source;
    this.drops = guardBpeDrops(core);
    this.stream = hfStreamEncoder(core, tokenizerJson);
    // The library decides it from tokenizer_config.json the same way (`?? true`, then truthiness).
    this.decodeCleansUpSpaces = Boolean((core as unknown as { clean_up_tokenization_spaces?: unknown }).clean_up_tokenization_spaces ?? true);
    const unk = (core as unknown as { model?: { unk_token_id?: unknown } }).model?.unk_token_id;
    this.unkId = typeof unk === 'number' ? unk : undefined;
    let maxId = -1;
    for (const id of core.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
  }

  /** Reads tokenizer.json (and tokenizer_config.json) from disk. */
  static async load(options: HfTokenizerOptions): Promise<HfTokenizer> {
    const jsonPath = await resolveTokenizerJson(options.path);
    const tokenizerJson = await readJsonObject(jsonPath, 'a HuggingFace tokenizer.json');
    let config: JsonObject = {};
    const configPath = options.configPath ?? path.join(path.dirname(jsonPath), 'tokenizer_config.json');
    if (options.configPath !== undefined || (await exists(configPath))) {
      config = await readJsonObject(configPath, 'a HuggingFace tokenizer_config.json');
    }
    // Newer transformers versions save the template as chat_template.jinja beside the config.
    const jinjaPath = path.join(path.dirname(configPath), 'chat_template.jinja');
    let chatTemplateFile: { text: string; source: string } | undefined;
    // Only when the config has no usable template: HuggingFace's order (null and a list without 'default' included).
    if (wantsChatTemplateFile(config) && (await exists(jinjaPath))) {
      const text = await fs.readFile(jinjaPath, 'utf8').catch((err: unknown) => {
        throw new DataError(`${jinjaPath}: cannot read file (expected a Jinja chat template): ${fsReadReason(err) ?? (err as Error).message}`, { cause: err });
      });
      chatTemplateFile = { text, source: jinjaPath };
    }
    return HfTokenizer.fromJson(tokenizerJson, config, options, jsonPath, { configSource: configPath, chatTemplateFile });
  }

  /**
   * Builds from already-parsed JSON; `source` names the file in error messages, `files` the
   * tokenizer_config.json (for messages about its chat template) and a chat_template.jinja read beside it.
   */
  static fromJson(
    tokenizerJson: JsonObject,
    config: JsonObject = {},
    specials: HfSpecialTokens = {},
    source = 'tokenizer.json',
    files: { configSource?: string; chatTemplateFile?: { text: string; source: string } } = {},
  ): HfTokenizer {
    if (!Array.isArray(tokenizerJson.added_tokens)) tokenizerJson = { ...tokenizerJson, added_tokens: [] };
    const modelProblem = hfModelProblem(tokenizerJson) ?? hfVocabProblem(tokenizerJson);
    if (modelProblem !== undefined) throw new DataError(`${source}: not a usable HuggingFace tokenizer.json: ${modelProblem}`);
    let core: HfCoreTokenizer;
    try {
      core = new HfCoreTokenizer(tokenizerJson, config);
    } catch (err) {
      throw new DataError(`${source}: not a usable HuggingFace tokenizer.json (expected "model", "pre_tokenizer", "decoder", ... as written by tokenizers): ${(err as Error).message}`, { cause: err });
    }
    const resolve = (field: string, explicit: string | undefined, candidates: string[]): number | undefined => {
      const written = config[field];
      if (explicit === undefined && written !== undefined && written !== null && tokenString(written) === undefined) {
        throw new DataError(`${source}: tokenizer_config.json field '${field}' is ${JSON.stringify(written)}; expected the token as a string ("</s>") or an object with "content", or null.`);
      }
      const named = explicit ?? tokenString(written);
      if (named !== undefined) {
        const id = core.token_to_id(named);
        if (id === undefined) {
          const option = field.replace(/_(\w)/, (_m, c: string) => c.toUpperCase());
          const from = explicit !== undefined ? `the ${option} setting (tokenizer.${option} in a recipe)` : `tokenizer_config.json field '${field}'`;
          throw new DataError(`${source}: ${from} names token '${named}', which is not in the vocabulary.`);
        }
        return id;
      }
      for (const c of candidates) {
        const id = core.token_to_id(c);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const eos = resolve('eos_token', specials.eosToken, EOS_CANDIDATES);
    if (eos === undefined) {
      throw new DataError(`${source}: cannot find an end-of-sequence token. Expected 'eos_token' in tokenizer_config.json, an eosToken option, or one of ${EOS_CANDIDATES.join(', ')} in the vocabulary.`);
    }
    // Many tokenizers (GPT-2 style) have a single <|endoftext|> that serves as bos and pad too.
    const ownBos = resolve('bos_token', specials.bosToken, BOS_CANDIDATES);
    const bos = ownBos ?? eos;
    const pad = resolve('pad_token', specials.padToken, PAD_CANDIDATES) ?? eos;
    const configSource = files.configSource ?? 'tokenizer_config.json';
    const explicit = { bos_token: specials.bosToken, eos_token: specials.eosToken, pad_token: specials.padToken };
    const chatTemplate = hfChatTemplate(config, { configSource, explicit, file: files.chatTemplateFile });
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(tokenizerJson))
      .update(JSON.stringify(config))
      .update(files.chatTemplateFile?.text ?? '')
      .update(`${bos},${eos},${pad}`)
      .digest('hex');
    // Encoding never adds the post-processor's specials (see encode), so it does not decide ids either.
    const { truncation: _t, padding: _p, post_processor: _pp, version: _v, ...idParts } = tokenizerJson;
    const idFingerprint = createHash('sha256').update(JSON.stringify(idParts)).update(`${bos},${eos},${pad}`).digest('hex');
    // What HuggingFace's tokenizer(text) adds first; Floe's encode adds nothing, data.addBos decides.
    const bosRule = hfBosRule({ config, tokenizerJson, bosId: ownBos, tokenToId: (t) => core.token_to_id(t), configSource });
    return new HfTokenizer(core, { bos, eos, pad }, { all: fingerprint, ids: idFingerprint }, source, tokenizerJson, { chatTemplate, chatTemplateMissing: hfChatTemplateMissing(config, { configSource, file: files.chatTemplateFile }), bosRule, templateSpecialTokens: hfTemplateSpecialTokens(config, explicit) });
  }

  /**
   * Text to ids without the tokenizer's own post-processing specials (Floe adds bos/eos). Streams
   * the text through the model batch by batch into 4-byte ids (a 30 MB line needs no per-character
   * arrays); tokenizers with parts the stream does not reproduce go through the library whole.
   */
  encode(text: string): number[] {
    const ids = new IdBuffer();
    if (this.stream !== undefined) this.stream(text, (tokens) => this.appendIds(tokens, ids));
    else this.appendIds(this.core.encode(text, { add_special_tokens: false }).tokens, ids);
    return ids.toArray();
  }

  /**
   * The library's token-to-id step (added token, vocabulary, else unk) with Floe's checks: a piece
   * the BPE model dropped, or one with no id, is an error.
   */
  private appendIds(tokens: readonly string[], into: IdBuffer): void {
    const [dropped] = this.drops?.take() ?? [];
    if (dropped !== undefined) {
      throw new DataError(
        `${this.source}: cannot encode piece '${dropped}': it is not in the vocabulary, and the BPE model has no unk_token and no byte fallback for it, so the text would lose it. Add the piece or an unk_token to the tokenizer, or clean the text.`,
      );
    }
    const core = this.core as unknown as { added_tokens_map: Map<string, { id: number }>; model: { tokens_to_ids: Map<string, number>; unk_token_id?: number; unk_token?: unknown } };
    for (const token of tokens) {
      const id = core.added_tokens_map.get(token)?.id ?? core.model.tokens_to_ids.get(token) ?? core.model.unk_token_id;
      if (id === undefined) {
        // The library puts the unk_token's text in place of an unknown piece, id or not.
        const unk = core.model.unk_token;
        if (typeof unk === 'string' && unk === token) {
          throw new DataError(`${this.source}: the text has a piece the vocabulary lacks, and "model.unk_token" ('${unk}') that should stand for it is not in the vocabulary either. Name a vocabulary token as model.unk_token.`);
        }
        throw new DataError(`${this.source}: cannot encode piece '${token}': it is not in the vocabulary and the model has no unk_token.`);
      }
      into.push(id);
    }
  }

  /** Ids to text, skipping special tokens and ids outside the vocabulary. */
  decode(ids: readonly number[]): string {
    const valid = ids.filter((id) => Number.isInteger(id) && this.core.id_to_token(id) !== undefined);
    // The core decoder rejects an empty list; an empty sequence is simply empty text.
    if (valid.length === 0) return '';
    return this.core.decode(valid, { skip_special_tokens: true });
  }

  /** The id of a token string (added tokens included). */
  tokenToId(token: string): number | undefined {
    return this.core.token_to_id(token);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function resolveTokenizerJson(p: string): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(p);
  } catch {
    throw new DataError(`${p}: tokenizer file not found (expected a HuggingFace tokenizer.json or a folder containing one).`);
  }
  if (!stat.isDirectory()) return p;
  const inner = path.join(p, 'tokenizer.json');
  if (!(await exists(inner))) throw new DataError(`${p}: folder has no tokenizer.json (expected a HuggingFace tokenizer.json inside it).`);
  return inner;
}

async function readJsonObject(file: string, expected: string): Promise<JsonObject> {
  let text: string;
  try {
    // A byte-order mark (some Windows editors write one) is not JSON.
    text = (await fs.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    throw new DataError(`${file}: cannot read file (expected ${expected}): ${fsReadReason(err) ?? (err as Error).message}`, { cause: err });
  }
  if (text.trim() === '') throw new DataError(`${file}: the file is empty (expected ${expected})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const pos = jsonErrorPosition(text, err);
    const where = pos === undefined ? file : `${file}:${pos.line}:${pos.col}`;
    throw new DataError(`${where}: invalid JSON (expected ${expected}): ${jsonErrorMessage(err)}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(`${file}:1: expected ${expected} (a JSON object), got ${Array.isArray(value) ? 'an array' : typeof value}.`);
  }
  return value as JsonObject;
}
