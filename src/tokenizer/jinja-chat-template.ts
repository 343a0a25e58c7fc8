import { Template } from '@huggingface/jinja';
import { DataError } from '../errors';

/** A Jinja chat template (a HuggingFace `chat_template`) and what it is rendered with. */
export interface JinjaChatTemplate {
  /** The template text. */
  text: string;
  /** Where it came from, for messages: `chat_template of tokenizer_config.json (path)`, `data.chatTemplate`. */
  source: string;
  /**
   * Special tokens passed as variables, as HuggingFace passes its `special_tokens_map`
   * (`bos_token`, `eos_token`, `pad_token`, ...); a token the tokenizer does not name stays undefined.
   */
  specialTokens?: Record<string, string | string[]>;
}

/** A message as a template reads it (`message.role`, `message.content`). */
export interface TemplateMessage {
  /** Speaker. */
  role: string;
  /** What was said. */
  content: string;
}

// Parsed templates by text: a data set renders one template thousands of times. Small, since a
// process uses one or two templates; cleared when full rather than grown.
const parsed = new Map<string, Template>();
const PARSED_MAX = 16;

/**
 * The parsed template.
 * @throws DataError naming the template's source and the Jinja parser's message.
 */
export function parseChatTemplate(template: JinjaChatTemplate): Template {
  const known = parsed.get(template.text);
  if (known !== undefined) return known;
  let compiled: Template;
  try {
    compiled = new Template(template.text);
  } catch (err) {
    throw new DataError(`the chat template (${template.source}) is not a valid Jinja template: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(template.text, compiled);
  return compiled;
}

/**
 * Renders `messages` with the template and the variables HuggingFace's `apply_chat_template`
 * passes: `messages`, `add_generation_prompt`, `tools` and `documents` (none), and the special
 * tokens (`bos_token`, `eos_token`, ...). `raise_exception` and `strftime_now` come with the
 * Jinja environment. `what` says which rendering failed (`turn 3`) in the error.
 * @throws DataError naming the template's source, `what` and the Jinja error.
 */
export function renderChatTemplateText(template: JinjaChatTemplate, messages: readonly TemplateMessage[], options: { addGenerationPrompt: boolean; what?: string }): string {
  const compiled = parseChatTemplate(template);
  try {
    return compiled.render({
      ...template.specialTokens,
      // Copies: a template that sets fields on a message must not change the record.
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: options.addGenerationPrompt,
      tools: null,
      documents: null,
    });
  } catch (err) {
    const what = options.what === undefined ? '' : ` (${options.what})`;
    throw new DataError(`the chat template (${template.source}) failed to render the conversation${what}: ${(err as Error).message}`, { cause: err });
  }
}
