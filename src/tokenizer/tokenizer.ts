import type { JinjaChatTemplate } from './jinja-chat-template';

/**
 * What every tokenizer gives the data pipeline and the trainers. Ids are dense in
 * `[0, vocabSize)`; the special ids are ordinary ids the pipeline inserts itself.
 */
export interface Tokenizer {
  /** Number of ids the model's embedding and output layers must cover. */
  readonly vocabSize: number;
  /** Id put at the start of a sequence (may equal `eosId` for tokenizers without one). */
  readonly bosId: number;
  /** Id that ends a document and, in chat, ends a turn. */
  readonly eosId: number;
  /** Id used to fill padded positions (never trained on). */
  readonly padId: number;
  /**
   * Stable identity of the vocabulary and its settings (e.g. a hash of tokenizer.json), so
   * tokenized caches are invalidated when the tokenizer changes. Optional: see `tokenizerFingerprint`.
   */
  readonly fingerprint?: string;
  /**
   * Identity of what decides the ids alone (vocabulary, normalization, pre-tokenization, special
   * ids), unchanged by settings that do not (padding, truncation, a chat template). Checkpoints
   * store it to refuse a changed tokenizer. Optional: defaults to `fingerprint`.
   */
  readonly idFingerprint?: string;
  /** Id that text the vocabulary lacks becomes, if the tokenizer has one (the data pipeline counts them). */
  readonly unkId?: number;
  /**
   * Whether `decode` applies HuggingFace's clean-up of tokenization spaces (" ." → ".", " n't" →
   * "n't", " 's" → "'s", ...), so that ids added later can remove a space already decoded.
   * Streaming (`TextStream`) holds back a last space only then. Optional: unset counts as true,
   * since a decoder Floe does not know may clean up.
   */
  readonly decodeCleansUpSpaces?: boolean;
  /**
   * The model's own chat template (a HuggingFace tokenizer_config.json `chat_template`), used by
   * `data.chatTemplate: tokenizer`. Optional: tokenizers without one leave it unset.
   */
  readonly chatTemplate?: JinjaChatTemplate;
  /**
   * Why {@link Tokenizer.chatTemplate} is unset although the tokenizer's files hold templates
   * (a list of named ones without `default`): said when a recipe asks for the template, not at
   * load, as HuggingFace raises it only in `apply_chat_template`.
   */
  readonly chatTemplateMissing?: string;
  /**
   * The special tokens a Jinja chat template sees (`bos_token`, `eos_token`, ...), also for a
   * template written in the recipe when the tokenizer has none of its own. Optional: unset, such
   * a template sees none.
   */
  readonly templateSpecialTokens?: Readonly<Record<string, string | string[]>>;
  /**
   * The tokenizer's own rule for bos: true when the model it comes with was trained with bos
   * first (HuggingFace's `add_bos_token`, or a post-processor that prepends bos). `data.addBos:
   * auto` follows it, for training rows and generation prompts alike. `encode` never adds bos
   * whatever this says. Optional: unset counts as false.
   */
  readonly addsBos?: boolean;
  /** Which setting decided `addsBos`, for the run log (e.g. `tokenizer_config.json add_bos_token`). */
  readonly addsBosSource?: string;
  /** Text to ids, without adding bos/eos (the pipeline adds those where it needs them). */
  encode(text: string): number[];
  /** Ids to text; special ids are skipped and invalid input never throws. */
  decode(ids: readonly number[]): string;
  /** The id of a token string, if the vocabulary has it. */
  tokenToId?(token: string): number | undefined;
}
