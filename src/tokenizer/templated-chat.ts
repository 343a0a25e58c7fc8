import { DataError } from '../errors';
import type { ChatMessage, RenderedChat } from './chat-template';
import { JinjaChatTemplate, renderChatTemplateText } from './jinja-chat-template';
import { Tokenizer } from './tokenizer';

/** A run of rendered chat text and whether the model is trained to write it. */
export interface ChatTextPiece {
  /** The text. */
  text: string;
  /** True for an assistant reply and the end-of-turn the template writes right after it. */
  trained: boolean;
}

/**
 * A conversation rendered with a Jinja template, cut into trained and untrained text the way
 * TRL and HuggingFace do for templates without `{% generation %}` blocks: it is rendered prefix
 * by prefix (messages[:i] vs messages[:i+1]), and an assistant turn's reply is what the full
 * prefix adds to messages[:i] rendered with `add_generation_prompt` (the assistant header).
 * The reply's trailing whitespace (ChatML's `\n` after `<|im_end|>`) is what the template
 * writes between turns, so it is not trained; the end marker before it (`<|im_end|>`,
 * `<|eot_id|>`, `</s>`) is. With `addGenerationPrompt` the rendering ends in an open assistant turn.
 * @throws DataError when a rendering fails, or the template is not prefix-stable (a turn's
 * rendering does not start with the one before), naming the template and the turn.
 */
export function templatedChatPieces(template: JinjaChatTemplate, messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): ChatTextPiece[] {
  const pieces: ChatTextPiece[] = [];
  let before = '';
  const extend = (next: string, trained: boolean, what: string): void => {
    if (!next.startsWith(before)) throw new DataError(notPrefixStable(template, before, next, what));
    pieces.push({ text: next.slice(before.length), trained });
    before = next;
  };
  messages.forEach((message, i) => {
    const upTo = messages.slice(0, i + 1);
    const full = renderChatTemplateText(template, upTo, { addGenerationPrompt: false, what: turnName(upTo, i) });
    if (message.role !== 'assistant') return extend(full, false, turnName(upTo, i));
    const header = renderChatTemplateText(template, upTo.slice(0, i), { addGenerationPrompt: true, what: `${turnName(upTo, i)}, its header (add_generation_prompt)` });
    extend(header, false, `the header of ${turnName(upTo, i)} (add_generation_prompt)`);
    if (!full.startsWith(header)) throw new DataError(notPrefixStable(template, header, full, turnName(upTo, i)));
    const reply = full.slice(header.length);
    const end = reply.trimEnd().length;
    extend(header + reply.slice(0, end), true, turnName(upTo, i));
    extend(full, false, turnName(upTo, i));
  });
  if (options.addGenerationPrompt === true) {
    const open = renderChatTemplateText(template, messages, { addGenerationPrompt: true, what: 'the generation prompt' });
    extend(open, false, 'the generation prompt (add_generation_prompt)');
  }
  return pieces;
}

/**
 * Ids of a conversation rendered with a Jinja template and which of them are trained (see
 * {@link templatedChatPieces}). The ids are the tokenization of the whole rendered text, as
 * HuggingFace tokenizes it (no special tokens added: the template writes them). The trained
 * spans map to tokens by tokenizing piece by piece: when the pieces' ids joined are the whole
 * text's ids (the usual case: turns meet at special tokens such as `<|im_start|>`), each piece
 * owns its ids. Otherwise a token merges across a boundary (or the tokenizer prepends a space to
 * every text), and a boundary at character c falls after the longest common prefix of the ids
 * of the text's first c characters and the whole ids: a token crossing it counts with the
 * piece it ends in.
 */
export function renderTemplatedChat(tokenizer: Tokenizer, template: JinjaChatTemplate, messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): RenderedChat {
  const pieces = mergeRuns(templatedChatPieces(template, messages, options));
  const text = pieces.map((p) => p.text).join('');
  const ids = tokenizer.encode(text);
  const assistantMask = new Array<boolean>(ids.length).fill(false);
  const own = pieces.map((p) => tokenizer.encode(p.text));
  if (sameIds(own.flat(), ids)) {
    let at = 0;
    own.forEach((pieceIds, k) => {
      assistantMask.fill(pieces[k].trained, at, at + pieceIds.length);
      at += pieceIds.length;
    });
    return { ids, assistantMask };
  }
  let chars = 0;
  let from = 0;
  pieces.forEach((piece, k) => {
    chars += piece.text.length;
    const to = k === pieces.length - 1 ? ids.length : Math.max(from, commonPrefix(tokenizer.encode(text.slice(0, chars)), ids));
    assistantMask.fill(piece.trained, from, to);
    from = to;
  });
  return { ids, assistantMask };
}

/**
 * The id of the token a template writes right after every assistant reply (its end-of-turn
 * marker: `<|im_end|>`, `<|eot_id|>`, `<end_of_turn>`), found by rendering a probe conversation,
 * so generation can stop there; undefined when the marker is not one token (or there is none, or
 * the probe does not render).
 */
export function templateEndOfTurnId(tokenizer: Tokenizer, template: JinjaChatTemplate): number | undefined {
  const reply = 'Floe probe reply';
  let pieces: ChatTextPiece[];
  try {
    pieces = templatedChatPieces(template, [{ role: 'user', content: 'Floe probe question' }, { role: 'assistant', content: reply }]);
  } catch (err) {
    if (err instanceof DataError) return undefined;
    throw err;
  }
  const trained = pieces.find((p) => p.trained)?.text ?? '';
  const at = trained.indexOf(reply);
  const marker = at < 0 ? '' : trained.slice(at + reply.length).trim();
  if (marker === '') return undefined;
  let ids: number[];
  try {
    ids = tokenizer.encode(marker);
  } catch (err) {
    if (err instanceof DataError) return undefined;
    throw err;
  }
  return ids.length === 1 ? ids[0] : undefined;
}

/** Adjacent pieces with the same flag joined, empty ones dropped: fewer boundaries to place. */
function mergeRuns(pieces: ChatTextPiece[]): ChatTextPiece[] {
  const out: ChatTextPiece[] = [];
  for (const piece of pieces) {
    if (piece.text === '') continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.trained === piece.trained) last.text += piece.text;
    else out.push({ ...piece });
  }
  return out;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** `messages[2] (assistant)` */
function turnName(messages: readonly ChatMessage[], i: number): string {
  return `messages[${i}] (${messages[i].role})`;
}

function notPrefixStable(template: JinjaChatTemplate, before: string, next: string, what: string): string {
  let at = 0;
  while (at < before.length && before[at] === next[at]) at++;
  const show = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
  return (
    `the chat template (${template.source}) is not prefix-stable at ${what}: rendering the conversation up to it does not start with the rendering before it ` +
    `(they differ at character ${at}: ${show(before.slice(at))} before, ${show(next.slice(at))} now), so Floe cannot tell which text is the assistant's reply. ` +
    `Floe renders a conversation turn by turn to find the replies to train on: use a template that renders earlier turns the same whatever follows ` +
    `(not one that rewrites them, e.g. dropping the reasoning of earlier replies), or data.chatTemplate: floe`
  );
}
