import { createHash } from 'crypto';
import { CheckpointError } from '../errors';
import { Tokenizer } from './tokenizer';
import { tokenizerFingerprint } from './tokenizer-fingerprint';

/**
 * Checkpoint file naming the tokenizer a language model was trained with. A checkpoint holds no
 * tokenizer of its own (an `hf` one is read again from the recipe's path), so a tokenizer.json
 * edited or replaced since training would otherwise map text to the wrong embedding rows
 * without a word.
 */
export const TOKENIZER_IDENTITY_FILE = 'tokenizer-identity.json';

/** What {@link TOKENIZER_IDENTITY_FILE} holds. */
export interface TokenizerIdentity {
  /** The recipe's tokenizer type (`byte`, `hf`, ...). */
  type: string;
  /** The tokenizer's `idFingerprint`, else its {@link tokenizerFingerprint}. */
  fingerprint: string;
  /** Number of ids. */
  vocabSize: number;
  /** Begin-of-sequence id. */
  bosId: number;
  /** End-of-sequence id. */
  eosId: number;
  /** Padding id. */
  padId: number;
  /**
   * sha256 of the tokenizer's own chat template (its text and special tokens), when it has one:
   * `data.chatTemplate: tokenizer` reads the template from the tokenizer's files again at every
   * load, so a changed template is told apart (see {@link chatTemplateChangeNote}).
   */
  chatTemplateSha256?: string;
}

/** The identity of `tokenizer` (of recipe type `type`) to store with a checkpoint. */
export function tokenizerIdentity(tokenizer: Tokenizer, type: string): TokenizerIdentity {
  const { vocabSize, bosId, eosId, padId } = tokenizer;
  const identity: TokenizerIdentity = { type, fingerprint: tokenizer.idFingerprint ?? tokenizerFingerprint(tokenizer), vocabSize, bosId, eosId, padId };
  const template = chatTemplateSha256(tokenizer);
  return template === undefined ? identity : { ...identity, chatTemplateSha256: template };
}

/** sha256 of the tokenizer's chat template text and special tokens; undefined without a template. */
function chatTemplateSha256(tokenizer: Tokenizer): string | undefined {
  const template = tokenizer.chatTemplate;
  if (template === undefined) return undefined;
  return createHash('sha256').update(JSON.stringify([template.text, template.specialTokens ?? {}])).digest('hex');
}

/**
 * A warning when the tokenizer's chat template is not the one `saved` (a checkpoint's identity)
 * recorded: a model trained with `data.chatTemplate: tokenizer` then gets prompts (`floe generate
 * --chat`) or, on resume, training rows in another format. Not an error: the ids are the same, and
 * a fixed template is a legitimate edit. Undefined when it is unchanged or the checkpoint predates
 * the field.
 */
export function chatTemplateChangeNote(saved: unknown, tokenizer: Tokenizer, checkpoint: string): string | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const then = (saved as { chatTemplateSha256?: unknown }).chatTemplateSha256;
  if (typeof then !== 'string') return undefined;
  const now = chatTemplateSha256(tokenizer);
  if (now === then) return undefined;
  const what = now === undefined ? 'the tokenizer has no chat template now' : `${tokenizer.chatTemplate?.source ?? 'its chat template'} differs (sha256 ${then.slice(0, 12)}… then, ${now.slice(0, 12)}… now)`;
  return `The tokenizer's chat template has changed since ${checkpoint} was written: ${what}. The model was trained on conversations rendered with the old one; restore it to get the format it learned.`;
}

/** Fields of {@link TokenizerIdentity} that hold ids and counts (non-negative integers). */
const COUNT_FIELDS = ['vocabSize', 'bosId', 'eosId', 'padId'] as const;

/** What is wrong with a parsed identity file, empty when it has every field of the right type. */
function identityProblems(saved: unknown): string[] {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) {
    return [`expected a JSON object, got ${saved === null ? 'null' : Array.isArray(saved) ? 'an array' : `a ${typeof saved}`}`];
  }
  const s = saved as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['type', 'fingerprint'] as const) {
    if (typeof s[key] !== 'string' || s[key] === '') problems.push(`${key} is ${JSON.stringify(s[key])}, expected a non-empty string`);
  }
  if (s.chatTemplateSha256 !== undefined && (typeof s.chatTemplateSha256 !== 'string' || s.chatTemplateSha256 === '')) {
    problems.push(`chatTemplateSha256 is ${JSON.stringify(s.chatTemplateSha256)}, expected a non-empty string when present`);
  }
  for (const key of COUNT_FIELDS) {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) problems.push(`${key} is ${JSON.stringify(v)}, expected a non-negative integer`);
  }
  return problems;
}

/**
 * Throws a {@link CheckpointError} when `tokenizer` is not the one `checkpoint` (words naming it,
 * like `checkpoint runs/x/checkpoints/step-000040`) saved as `saved`; a checkpoint older than the
 * file is not checked. A `saved` value that is not an identity (a damaged or hand-edited file,
 * named by `file`, default the file's name) is refused as such, not reported as a changed tokenizer.
 */
export function checkTokenizerIdentity(saved: unknown, tokenizer: Tokenizer, options: { type: string; checkpoint: string; file?: string }): void {
  if (saved === undefined) return;
  const problems = identityProblems(saved);
  if (problems.length > 0) {
    throw new CheckpointError(
      `Invalid tokenizer identity '${options.file ?? TOKENIZER_IDENTITY_FILE}' of ${options.checkpoint}: ${problems.join('; ')}. ` +
        `A checkpoint writes it as { type, fingerprint: strings; vocabSize, bosId, eosId, padId: non-negative integers }, so this one is damaged or was edited by hand: ` +
        `use another checkpoint, or an intact copy of this one.`,
    );
  }
  const s = saved as TokenizerIdentity;
  const now = tokenizerIdentity(tokenizer, options.type);
  const differences = (['type', 'vocabSize', 'bosId', 'eosId', 'padId', 'fingerprint'] as const)
    .filter((key) => s[key] !== now[key])
    .map((key) => {
      // Shortened fingerprints that look alike would read as no change: show them whole.
      const whole = key === 'fingerprint' && show(s[key]) === show(now[key]);
      return whole ? `${key} '${s[key]}' then, '${now[key]}' now` : `${key} ${show(s[key])} then, ${show(now[key])} now`;
    });
  if (differences.length === 0) return;
  throw new CheckpointError(
    `The tokenizer has changed since ${options.checkpoint} was written (${differences.join('; ')}): its model would read text with the wrong token ids. ` +
      `Restore the tokenizer the run was trained with (the recipe's tokenizer section and its files), or train a new model for this tokenizer.`,
  );
}

/** A value for the message; fingerprints (sha256 hex) shortened. */
function show(value: unknown): string {
  return typeof value === 'string' && value.length > 16 ? `'${value.slice(0, 12)}…'` : JSON.stringify(value);
}
