import { Tokenizer } from './tokenizer';

const REPLACEMENT = '\uFFFD';
// The HF decode's clean-up turns " ." " ?" " !" " ," " ' " " n't" " 'm" " 's" " 've" " 're" into
// the text without its space(s), in that order. Text after a last space that may still become one
// of them: the space is not settled yet.
const CLEANUP_PENDING = new Set(['', "'", 'n', "n'", "'v", "'r"]);

/**
 * Turns a growing list of token ids into text increments, for printing text as a model generates
 * it. Decoding id by id is wrong: byte-level BPE, byte fallback and the byte tokenizer split
 * multi-byte UTF-8 characters across ids, and decoders change text when more ids follow (the HF
 * clean-up drops the space of " ." once the dot arrives; Metaspace drops the first token's space
 * only). So, as HF's TextStreamer does, every {@link push} decodes all ids so far and returns only
 * the new text that is stable: held back while the text ends in U+FFFD (a character cut off),
 * and while the decoded text does not extend what was returned before. With a tokenizer whose
 * decode cleans up spaces ({@link Tokenizer.decodeCleansUpSpaces}), also a last quote and text
 * from a last space the clean-up may still remove (while what follows it could become " n't",
 * " 's", " ."...); without it (the byte tokenizer, HF tokenizers with
 * `clean_up_tokenization_spaces: false`) spaces and quotes go out at once. {@link flush} returns the rest, so all increments joined equal `tokenizer.decode(ids)`
 * exactly. Each push decodes the whole list (cost grows with its square, nothing next to a
 * forward pass at generation lengths).
 */
export class TextStream {
  private readonly tokenizer: Tokenizer;
  private readonly received: number[] = [];
  private readonly context: readonly number[];
  private readonly contextText: string;
  private readonly cleansUp: boolean;
  private emitted = '';

  /**
   * Streams the text of ids decoded with `tokenizer` (any Floe tokenizer). With `context` (a
   * prompt the ids continue), the text is what the ids add to the context's decoded text: a
   * SentencePiece-style decoder drops the space of a sequence's first word, so `▁world` after
   * `hello` is " world" in context but "world" alone.
   */
  constructor(tokenizer: Tokenizer, options: { context?: readonly number[] } = {}) {
    this.tokenizer = tokenizer;
    this.cleansUp = tokenizer.decodeCleansUpSpaces !== false;
    this.context = options.context ?? [];
    this.contextText = this.context.length > 0 ? tokenizer.decode([...this.context]) : '';
  }

  /** The ids pushed so far. */
  get ids(): readonly number[] {
    return this.received;
  }

  /** The text returned so far by {@link push} (a prefix of the decoded ids). */
  get text(): string {
    return this.emitted;
  }

  /** Adds the next id; returns the text it makes stable beyond what was returned before ('' if none). */
  push(id: number): string {
    this.received.push(id);
    return this.emit(stablePart(this.decoded(), this.cleansUp));
  }

  /**
   * Ends the stream: the remaining text, so that everything returned equals `tokenizer.decode(ids)`
   * (with a context: what decoding context + ids adds to the context's text).
   */
  flush(): string {
    return this.emit(this.decoded());
  }

  // A decoder that rewrites the context's end once ids follow (a clean-up across the boundary):
  // then the ids' own text.
  private decoded(): string {
    if (this.context.length === 0) return this.tokenizer.decode(this.received);
    const whole = this.tokenizer.decode([...this.context, ...this.received]);
    return whole.startsWith(this.contextText) ? whole.slice(this.contextText.length) : this.tokenizer.decode(this.received);
  }

  // Text that does not extend what went out (a decoder rewrote it) waits until it does again.
  private emit(text: string): string {
    if (text.length <= this.emitted.length || !text.startsWith(this.emitted)) return '';
    const increment = text.slice(this.emitted.length);
    this.emitted = text;
    return increment;
  }
}

/**
 * `text` without what may still change: a last U+FFFD, and (when `cleansUp`) a last space the
 * clean-up may remove.
 * A lone quote (or nothing yet) after it may still lose that space (" ' " becomes "'") and join
 * the word before: "do n '" is "don't" once " t" follows, so that word's space is checked with
 * the quote added.
 * A quote at the very end is held back too: " ' " became "'" already, but a "." (" ." is cleaned
 * first) takes its space back and "x ' ." reads "x '.".
 */
function stablePart(text: string, cleansUp: boolean): string {
  // UTF-8 decoders end a cut-off character with one U+FFFD; any before it stand for bad bytes.
  let end = text.endsWith(REPLACEMENT) ? text.length - 1 : text.length;
  if (!cleansUp) return text.slice(0, end);
  const keep = end > 0 && text[end - 1] === "'" ? end - 1 : end;
  let glued = '';
  while (end > 0) {
    const space = text.lastIndexOf(' ', end - 1);
    if (space < 0) break;
    const tail = text.slice(space + 1, end) + glued;
    if (!CLEANUP_PENDING.has(tail)) break;
    end = space;
    if (tail !== "'" && tail !== '') break;
    glued = "'";
  }
  return text.slice(0, Math.min(keep, end));
}
