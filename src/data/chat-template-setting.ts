import { registerDecorator, ValidationArguments } from 'class-validator';
import { formatValue } from '../config/format-value';
import { ConfigError, DataError, didYouMean } from '../errors';
import { JinjaChatTemplate, parseChatTemplate } from '../tokenizer/jinja-chat-template';
import type { Tokenizer } from '../tokenizer/tokenizer';

/** What `data.chatTemplate` may be, for messages. */
export const CHAT_TEMPLATE_ALLOWED =
  "floe (Floe's own chat format), tokenizer (the chat_template of the hf tokenizer's tokenizer_config.json, or its chat_template.jinja), or a Jinja template written out (text with {{ or {%)";

/** The keywords `data.chatTemplate` takes (anything else is a template written out). */
const CHAT_TEMPLATE_KEYWORDS = ['floe', 'tokenizer'];

/** Whether a `data.chatTemplate` value is a Jinja template written out rather than a keyword. */
export function isInlineChatTemplate(value: string): boolean {
  return value.includes('{{') || value.includes('{%');
}

/** Why `value` is not a `data.chatTemplate` setting, or undefined. Pure. */
function settingProblem(value: unknown): string | undefined {
  if (value === 'floe' || value === 'tokenizer') return undefined;
  if (typeof value === 'string' && isInlineChatTemplate(value)) return undefined;
  return `must be ${CHAT_TEMPLATE_ALLOWED}, got ${formatValue(value)}`;
}

/** Validates `data.chatTemplate`: `floe`, `tokenizer` or an inline Jinja template (no parsing: that needs no I/O but is done when the data is built). */
export function IsChatTemplateSetting(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isChatTemplateSetting',
      target: target.constructor,
      propertyName: propertyName as string,
      // `tokenizr` → "Did you mean 'tokenizer'?", shown after the location as for other settings.
      options: { context: { hint: (value: unknown) => (typeof value === 'string' ? didYouMean(value, CHAT_TEMPLATE_KEYWORDS).trim() || undefined : undefined) } },
      validator: {
        validate: (value: unknown) => settingProblem(value) === undefined,
        defaultMessage: (args: ValidationArguments) => `${args.property} ${settingProblem(args.value) ?? ''}`,
      },
    });
  };
}

/**
 * The Jinja template `data.chatTemplate` names, parsed once to check it, or undefined for Floe's
 * own format (`floe`, or no setting).
 * @throws ConfigError at `data.chatTemplate` when the tokenizer (of recipe type `tokenizerType`)
 * has no chat template, or the template does not parse.
 */
export function resolveChatTemplate(setting: string | undefined, tokenizer: Tokenizer, tokenizerType: string): JinjaChatTemplate | undefined {
  if (setting === undefined || setting === 'floe') return undefined;
  let template: JinjaChatTemplate;
  if (setting === 'tokenizer') {
    if (tokenizer.chatTemplate === undefined) {
      const why =
        tokenizer.chatTemplateMissing !== undefined
          ? tokenizer.chatTemplateMissing
          : tokenizerType === 'hf'
          ? "its tokenizer_config.json has no 'chat_template' (or no tokenizer_config.json was found beside tokenizer.json, or tokenizer.configPath names none), and there is no chat_template.jinja beside it"
          : `the '${tokenizerType}' tokenizer has none (only an hf tokenizer reads one, from tokenizer_config.json)`;
      throw new ConfigError([{ path: 'data.chatTemplate', message: `'tokenizer' takes the tokenizer's own chat template, and it has none: ${why}`, hint: `Allowed: ${CHAT_TEMPLATE_ALLOWED}.` }]);
    }
    template = tokenizer.chatTemplate;
  } else {
    // The tokenizer's special tokens, whether or not it has a template of its own (a base Llama's has none).
    template = { text: setting, source: 'data.chatTemplate', specialTokens: { ...(tokenizer.templateSpecialTokens ?? tokenizer.chatTemplate?.specialTokens ?? {}) } };
  }
  try {
    parseChatTemplate(template);
  } catch (err) {
    if (err instanceof DataError) throw new ConfigError([{ path: 'data.chatTemplate', message: err.message }]);
    throw err;
  }
  return template;
}
