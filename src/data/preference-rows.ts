import { Tokenizer } from '../tokenizer';
import { ChatTemplateOptions } from '../tokenizer/chat-template';
import { LmExample, TokenizedDocument } from './lm-example';
import { PreferenceRecord } from './preference-record';
import { tokenizeRecord } from './tokenize-record';

/** A preference pair as two training rows sharing the prompt; only response tokens carry loss. */
export interface PreferenceExample {
  /** The prompt followed by the chosen response. */
  chosen: LmExample;
  /** The prompt followed by the rejected response. */
  rejected: LmExample;
}

/** Options of {@link preferenceExamples}. */
export interface PreferenceRowsOptions {
  /** The run's tokenizer. */
  tokenizer: Tokenizer;
  /** Most input tokens per row. */
  maxLength: number;
  /** Put bos before string-form records. */
  addBos: boolean;
  /** Chat formatting of chat-form records (template, system prompt). */
  chat?: ChatTemplateOptions;
}

/** What {@link preferenceExamples} cut or dropped at `maxLength`. */
export interface PreferenceRowStats {
  /** Pairs read. */
  pairs: number;
  /** Pairs with a response cut at its end to fit. */
  truncated: number;
  /** Pairs dropped because the prompt alone leaves no response token within `maxLength`. */
  dropped: number;
}

/** What {@link preferenceExamples} returns. */
export interface PreferenceExamples {
  /** The pairs kept, as row pairs. */
  examples: PreferenceExample[];
  /** What maxLength cut or dropped. */
  stats: PreferenceRowStats;
}

/**
 * Tokenizes pairs into rows: string records as `[bos] prompt response eos` (as SFT's
 * prompt/completion records), chat records rendered with the chat template, prompt then the
 * response's assistant turns. Loss is on the response tokens only (never the prompt, even
 * assistant turns inside it). Rows longer than `maxLength + 1` tokens lose their response's end;
 * a pair whose prompt leaves no response token is dropped and counted.
 */
export function preferenceExamples(records: readonly PreferenceRecord[], options: PreferenceRowsOptions): PreferenceExamples {
  const stats: PreferenceRowStats = { pairs: records.length, truncated: 0, dropped: 0 };
  const examples: PreferenceExample[] = [];
  for (const record of records) {
    const chosen = responseDocument(record, 'chosen', options);
    const rejected = responseDocument(record, 'rejected', options);
    const rows = [chosen, rejected].map((doc) => shiftRow(doc, options.maxLength));
    if (rows[0] === undefined || rows[1] === undefined) {
      stats.dropped++;
      continue;
    }
    if (rows[0].cut || rows[1].cut) stats.truncated++;
    examples.push({ chosen: rows[0].row, rejected: rows[1].row });
  }
  return { examples, stats };
}

/** The prompt and one response as a tokenized document, trained on the response only. */
export function responseDocument(record: PreferenceRecord, side: 'chosen' | 'rejected', options: PreferenceRowsOptions): TokenizedDocument {
  const response = record[side];
  const { origin, prompt } = record;
  if (typeof prompt === 'string' && typeof response === 'string') {
    return tokenizeRecord({ kind: 'text', text: prompt + response, prompt, completion: response, origin }, options.tokenizer, { addBos: options.addBos });
  }
  const promptMessages = typeof prompt === 'string' ? [{ role: 'user' as const, content: prompt }] : prompt;
  const responseMessages = typeof response === 'string' ? [{ role: 'assistant' as const, content: response }] : response;
  const whole = tokenizeRecord({ kind: 'chat', messages: [...promptMessages, ...responseMessages], origin }, options.tokenizer, { chat: options.chat });
  // The prompt's own rendering is a prefix of the whole: tokens before its end are never trained.
  const alone = tokenizeRecord({ kind: 'chat', messages: promptMessages, origin }, options.tokenizer, { chat: options.chat });
  const prefix = isPrefix(alone.ids, whole.ids) ? alone.ids.length : firstResponseToken(whole.trainMask, promptMessages.filter((m) => m.role === 'assistant').length);
  return { ids: whole.ids, trainMask: whole.trainMask.map((t, i) => t && i >= prefix) };
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  return a.length <= b.length && a.every((id, i) => id === b[i]);
}

/** Index after the prompt's `assistantTurns` trained spans (a template whose prompt rendering is no prefix). */
function firstResponseToken(mask: readonly boolean[], assistantTurns: number): number {
  let spans = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] && (i === 0 || !mask[i - 1])) {
      if (spans === assistantTurns) return i;
      spans++;
    }
  }
  return mask.length;
}

/** A document as a shifted (input, label) row cut to `maxLength` inputs; undefined when no response token fits. */
function shiftRow(doc: TokenizedDocument, maxLength: number): { row: LmExample; cut: boolean } | undefined {
  const n = Math.min(doc.ids.length, maxLength + 1);
  const ids = Int32Array.from(doc.ids.slice(0, n));
  const lossMask = new Float32Array(Math.max(n - 1, 0));
  for (let i = 1; i < n; i++) lossMask[i - 1] = doc.trainMask[i] ? 1 : 0;
  if (n < 2 || !lossMask.includes(1)) return undefined;
  return { row: { inputIds: ids.subarray(0, n - 1), labels: ids.subarray(1), lossMask }, cut: n < doc.ids.length };
}
