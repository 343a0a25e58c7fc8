import { DataError } from '../errors';
import { JinjaChatTemplate } from './jinja-chat-template';

type JsonObject = Record<string, unknown>;

/** The special-token fields of tokenizer_config.json that HuggingFace passes to a chat template. */
const SPECIAL_TOKEN_FIELDS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** tokenizer_config.json writes specials as a string or as an AddedToken object `{ content }`. */
export function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as JsonObject).content === 'string') return (value as JsonObject).content as string;
  return undefined;
}

/**
 * The chat template of a tokenizer_config.json, or undefined when it has none: its
 * `chat_template` string, or from a list of named templates (`[{ name, template }]`) the one
 * named `default`; else `fileTemplate`, the text of a `chat_template.jinja` beside it (where
 * newer transformers versions save it). The special tokens are those the config names (or
 * `explicit` overrides), as HuggingFace's `special_tokens_map`. A list without `default` and no
 * file is no template here; {@link hfChatTemplateMissing} says why, for when one is asked for.
 * @throws DataError when `chat_template` is neither a string nor a list of named templates.
 */
export function hfChatTemplate(
  config: JsonObject,
  options: { configSource: string; explicit: Partial<Record<'bos_token' | 'eos_token' | 'pad_token', string>>; file?: { text: string; source: string } },
): JinjaChatTemplate | undefined {
  const found = templateOf(config.chat_template, options.configSource) ?? options.file;
  if (found === undefined) return undefined;
  return { text: found.text, source: found.source, specialTokens: hfTemplateSpecialTokens(config, options.explicit) };
}

/**
 * Why a config with templates gives none: `chat_template` is a list of named templates without
 * one named `default` (or empty) and there is no `chat_template.jinja` (HuggingFace then needs one
 * chosen by name). Undefined otherwise.
 */
export function hfChatTemplateMissing(config: JsonObject, options: { configSource: string; file?: { text: string; source: string } }): string | undefined {
  const value = config.chat_template;
  if (options.file !== undefined || !isNamedList(value) || value.some((t) => t.name === 'default')) return undefined;
  const names = value.map((t) => `'${t.name}'`);
  const what = names.length === 0 ? 'an empty list of named templates' : `a list of named templates (${names.join(', ')}) without one named 'default'`;
  return (
    `${options.configSource}: field 'chat_template' is ${what}, and there is no chat_template.jinja beside it; HuggingFace then needs the template chosen by name, which Floe does not take. ` +
    `Name the one to use 'default' in the list, or save it as chat_template.jinja beside ${options.configSource}.`
  );
}

/**
 * Whether a `chat_template.jinja` beside tokenizer_config.json is read: as HuggingFace does, when
 * the config has no usable template (no `chat_template`, null, or a list of named templates
 * without one named `default`). A usable one in the config wins over the file.
 */
export function wantsChatTemplateFile(config: JsonObject): boolean {
  const value = config.chat_template;
  if (value === undefined || value === null) return true;
  return isNamedList(value) && !value.some((t) => t.name === 'default');
}

/** `[{ name, template }, ...]`: the list form of `chat_template` (HuggingFace's named templates). */
function isNamedList(value: unknown): value is Array<{ name: string; template: string }> {
  return Array.isArray(value) && value.every((t) => t !== null && typeof t === 'object' && typeof t.name === 'string' && typeof t.template === 'string');
}

/**
 * The special tokens a chat template sees (`bos_token`, `eos_token`, ...), as HuggingFace's
 * `special_tokens_map`: those tokenizer_config.json names, `explicit` (the recipe's bosToken, ...)
 * overriding them. A tokenizer without a template of its own has them too, for a template
 * written in the recipe.
 */
export function hfTemplateSpecialTokens(config: JsonObject, explicit: Partial<Record<'bos_token' | 'eos_token' | 'pad_token', string>>): Record<string, string | string[]> {
  const specialTokens: Record<string, string | string[]> = {};
  for (const field of SPECIAL_TOKEN_FIELDS) {
    const token = (explicit as Record<string, string | undefined>)[field] ?? tokenString(config[field]);
    if (token !== undefined) specialTokens[field] = token;
  }
  const extra = config.additional_special_tokens;
  if (Array.isArray(extra)) specialTokens.additional_special_tokens = extra.map(tokenString).filter((t): t is string => t !== undefined);
  return specialTokens;
}

function templateOf(value: unknown, configSource: string): { text: string; source: string } | undefined {
  if (value === undefined || value === null) return undefined;
  const source = `chat_template of ${configSource}`;
  if (typeof value === 'string') return { text: value, source };
  if (!isNamedList(value)) {
    throw new DataError(`${configSource}: field 'chat_template' is ${JSON.stringify(value).slice(0, 80)}; expected a Jinja template string or a list of { "name", "template" } entries.`);
  }
  const entry = value.find((t) => t.name === 'default');
  return entry === undefined ? undefined : { text: entry.template, source: `${source} (the one named 'default')` };
}
