import { DataError } from '../errors';
import { ChatTemplateOptions, chatHeaderProblem, renderChat } from './chat-template';
import { Tokenizer } from './tokenizer';

/** How a language model's training rows began, so an inference prompt begins the same way. */
export interface PromptFormat {
  /** Training put bos before each text record (`data.addBos` as it resolved: `auto` by the tokenizer's rule). */
  addBos?: boolean;
  /**
   * Wrap the prompt as one user turn of the chat format (Floe's, or the data's Jinja `template`),
   * ending in an open assistant header (the chat options of the data, such as its
   * `systemPrompt`). Default: plain text.
   */
  chat?: ChatTemplateOptions;
}

/**
 * Prompt text to the ids a model saw at the same point in training: a text record's ids, after
 * bos when the data added one (a model trained on `<bos>12+34=` answers `12+34=` badly), or a
 * chat's rendered user turn and assistant header (with a template: rendered with
 * `add_generation_prompt` and tokenized whole, as HuggingFace does).
 */
export function encodePrompt(tokenizer: Tokenizer, text: string, format: PromptFormat = {}): number[] {
  if (format.chat !== undefined) {
    // A tokenizer that turns the role headers into <unk> would prompt the model with noise.
    const problem = format.chat.template === undefined ? chatHeaderProblem(tokenizer) : undefined;
    if (problem !== undefined) throw new DataError(`cannot write the prompt as a chat turn: ${problem}`);
    return renderChat(tokenizer, [{ role: 'user', content: text }], { ...format.chat, addGenerationPrompt: true }).ids;
  }
  const ids = tokenizer.encode(text);
  return format.addBos === true ? [tokenizer.bosId, ...ids] : ids;
}
