import { DataError } from '../errors';
import { JinjaChatTemplate } from './jinja-chat-template';
import { renderTemplatedChat } from './templated-chat';
import { Tokenizer } from './tokenizer';

/** The roles the chat format knows. */
export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;

/** Who speaks in a chat message. */
export type ChatRole = (typeof CHAT_ROLES)[number];

/** One turn of a conversation. */
export interface ChatMessage {
  /** Speaker. */
  role: ChatRole;
  /** What was said. */
  content: string;
}

/** Options for {@link renderChat}. */
export interface ChatTemplateOptions {
  /**
   * System prompt used when the conversation has no system message of its own. `{date}` is
   * replaced by {@link ChatTemplateOptions.date}.
   */
  systemPrompt?: string;
  /** Value for `{date}`: a `YYYY-MM-DD` string or a Date (UTC). Default: today; fix it for reproducible caches. */
  date?: string | Date;
  /** Put `tokenizer.bosId` first. Default true. */
  addBos?: boolean;
  /** Token closing every turn. Default `tokenizer.eosId`. */
  endOfTurnId?: number;
  /** End with an open `<|assistant|>` header so a model can generate the reply. Default false. */
  addGenerationPrompt?: boolean;
  /**
   * Render with this Jinja template (a HuggingFace `chat_template`) instead of Floe's format; then
   * `addBos` and `endOfTurnId` do not apply (the template writes its own specials). See
   * {@link renderTemplatedChat}.
   */
  template?: JinjaChatTemplate;
}

/** Token ids of a rendered conversation and which of them the model is trained to produce. */
export interface RenderedChat {
  /** The whole conversation as ids. */
  ids: number[];
  /** Parallel to `ids`: true on assistant content and on the end-of-turn token after it. */
  assistantMask: boolean[];
}

/** The header text opening a turn, e.g. `<|user|>\n`. */
export function roleHeader(role: ChatRole): string {
  return `<|${role}|>\n`;
}

/**
 * Why `tokenizer` cannot write Floe's chat format, or undefined: a role header it cannot encode
 * (no unk token) or encodes into something else (`<unk>` pieces), which would make the turns of
 * every conversation look alike. A header that is a token of its own (an added token) is fine;
 * otherwise its ids must decode back to it (whitespace aside: WordPiece spaces out punctuation).
 */
export function chatHeaderProblem(tokenizer: Tokenizer): string | undefined {
  for (const role of CHAT_ROLES) {
    const header = roleHeader(role);
    const name = header.trim();
    if (tokenizer.tokenToId?.(name) !== undefined) continue;
    let back: string | undefined;
    try {
      back = tokenizer.decode(tokenizer.encode(header));
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
    }
    if (back === undefined || !back.replace(/\s/g, '').includes(name)) {
      const what = back === undefined ? 'cannot be encoded' : `comes back as '${back.trim()}'`;
      return `the tokenizer cannot write chat turns: the role header '${name}' ${what}, so turns would not say who speaks. Floe's chat format writes ${CHAT_ROLES.map((r) => `<|${r}|>`).join(', ')} as text: use a tokenizer that encodes any text (byte, byte-level BPE, byte fallback), or add them to tokenizer.json as added tokens`;
    }
  }
  return undefined;
}

/** `YYYY-MM-DD` of a Date in UTC, or the given string unchanged. */
export function formatChatDate(date: string | Date = new Date()): string {
  return typeof date === 'string' ? date : date.toISOString().slice(0, 10);
}

/** Replaces every `{date}` in a system-prompt template. */
export function fillSystemPrompt(template: string, date?: string | Date): string {
  return template.split('{date}').join(formatChatDate(date));
}

/**
 * Renders a conversation in Floe's chat format:
 * ```
 * <bos><|system|>\n{system}<eot><|user|>\n{question}<eot><|assistant|>\n{answer}<eot>...
 * ```
 * Headers are plain text encoded by the tokenizer (a tokenizer with `<|user|>` etc. as added
 * tokens maps them to single ids); `<eot>` is `endOfTurnId` (default eos). Only assistant content
 * and its `<eot>` are marked, so SFT trains on replies, never on prompts or headers. With
 * `options.template` the conversation is rendered with that Jinja template instead.
 */
export function renderChat(tokenizer: Tokenizer, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): RenderedChat {
  const turns = withSystemPrompt(messages, options);
  turns.forEach(checkMessage);
  if (options.template !== undefined) return renderTemplatedChat(tokenizer, options.template, turns, { addGenerationPrompt: options.addGenerationPrompt });
  const eot = options.endOfTurnId ?? tokenizer.eosId;
  const ids: number[] = [];
  const assistantMask: boolean[] = [];
  const push = (piece: readonly number[], trained: boolean): void => {
    for (const id of piece) {
      ids.push(id);
      assistantMask.push(trained);
    }
  };
  if (options.addBos !== false) push([tokenizer.bosId], false);
  turns.forEach((m) => {
    const trained = m.role === 'assistant';
    push(tokenizer.encode(roleHeader(m.role)), false);
    push(tokenizer.encode(m.content), trained);
    push([eot], trained);
  });
  if (options.addGenerationPrompt === true) push(tokenizer.encode(roleHeader('assistant')), false);
  return { ids, assistantMask };
}

/** The messages, after a system message from `options.systemPrompt` when they have none. */
function withSystemPrompt(messages: readonly ChatMessage[], options: ChatTemplateOptions): ChatMessage[] {
  const turns: ChatMessage[] = [...messages];
  if (!messages.some((m) => m.role === 'system') && options.systemPrompt !== undefined) {
    turns.unshift({ role: 'system', content: fillSystemPrompt(options.systemPrompt, options.date) });
  }
  return turns;
}

function checkMessage(m: ChatMessage, i: number): void {
  if (!(CHAT_ROLES as readonly string[]).includes(m.role) || typeof m.content !== 'string') {
    throw new DataError(`chat message ${i}: expected { role: ${CHAT_ROLES.join(' | ')}, content: string }, got ${JSON.stringify(m)}.`);
  }
}
