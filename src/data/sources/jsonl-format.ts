import { DataError } from '../../errors';
import { CHAT_ROLES, ChatMessage } from '../../tokenizer/chat-template';
import { DataRecord, RecordOrigin, formatOrigin } from '../data-record';
import { SettingHint, recipeSettingHint } from './setting-hint';

/** Where the value at a JSON path of the record is, as `file:line:col` (or `file:line`). */
export type JsonLocator = (path: ReadonlyArray<string | number>) => string;

/** Record shapes a JSONL line can have. */
export const JSONL_FORMATS = ['auto', 'text', 'chat', 'prompt-response', 'alpaca'] as const;

/**
 * How to read a JSON object: `text` (`{ text }`), `chat` (`{ messages: [{ role, content }] }`),
 * `prompt-response` (`{ prompt, response }`, optional `system`), `alpaca`
 * (`{ instruction, input?, output }`), or `auto` (`messages` if present, else `text`).
 */
export type JsonlFormat = (typeof JSONL_FORMATS)[number];

/** Field names, for datasets that spell them differently. */
export interface JsonlFields {
  /** `text` format field. Default `text`. */
  text?: string;
  /** `chat` format field. Default `messages`. */
  messages?: string;
  /** `prompt-response` prompt field. Default `prompt`. */
  prompt?: string;
  /** `prompt-response` response field. Default `response`. */
  response?: string;
  /** `prompt-response` optional system field. Default `system`. */
  system?: string;
  /** `alpaca` instruction field. Default `instruction`. */
  instruction?: string;
  /** `alpaca` optional input field. Default `input`. */
  input?: string;
  /** `alpaca` output field. Default `output`. */
  output?: string;
}

const DEFAULT_FIELDS: Required<JsonlFields> = {
  text: 'text',
  messages: 'messages',
  prompt: 'prompt',
  response: 'response',
  system: 'system',
  instruction: 'instruction',
  input: 'input',
  output: 'output',
};

/** Options of {@link mapJsonRecord}. */
export interface MapJsonRecordOptions {
  /** Field names, where they differ from the defaults. */
  fields?: JsonlFields;
  /** Where a field's value is, for messages (default: the record's file:line). */
  locate?: JsonLocator;
  /** How a message says to set `fields` (default: `set fields: { ... } on the source`). */
  settingHint?: SettingHint;
}

/**
 * Maps one parsed JSON value to a record. `prompt-response` and `alpaca` become chats (user asks,
 * assistant answers; alpaca's non-empty `input` follows the instruction after a blank line).
 * Throws DataError naming file:line, the field and what was expected.
 */
export function mapJsonRecord(value: unknown, format: JsonlFormat, origin: RecordOrigin, options: MapJsonRecordOptions = {}): DataRecord {
  const { fields = {}, locate, settingHint = recipeSettingHint() } = options;
  const f = { ...DEFAULT_FIELDS, ...fields };
  const where = formatOrigin(origin);
  const at: JsonLocator = locate ?? (() => where);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(`${where}: expected a JSON object, got ${describe(value)}.`);
  }
  const obj = value as Record<string, unknown>;
  const str = (key: keyof JsonlFields): string => {
    const field = f[key];
    const v = obj[field];
    if (v === undefined) {
      throw new DataError(`${where}: field '${field}' expected a string, got nothing (field missing); found ${listKeys(obj)}. If the data names it differently, ${settingHint(`fields.${key}`, '<its name>')}.`);
    }
    if (typeof v !== 'string') throw new DataError(`${at([field])}: field '${field}' expected a string, got ${describe(v)}.`);
    return wellFormed(v, field, at([field]));
  };
  // Exported datasets often write an absent optional field as null.
  const optionalStr = (key: keyof JsonlFields): string | undefined => (obj[f[key]] === undefined || obj[f[key]] === null ? undefined : str(key));
  switch (format) {
    case 'auto':
      if (f.messages in obj) return mapJsonRecord(value, 'chat', origin, options);
      if (f.text in obj) return mapJsonRecord(value, 'text', origin, options);
      // The two instruction-tuning shapes are told apart by their pair of fields.
      if (f.prompt in obj && f.response in obj) return mapJsonRecord(value, 'prompt-response', origin, options);
      if (f.instruction in obj && f.output in obj) return mapJsonRecord(value, 'alpaca', origin, options);
      throw new DataError(
        `${where}: expected a field '${f.text}' (text) or '${f.messages}' (chat), or the pair '${f.prompt}' + '${f.response}' (prompt-response) or ` +
          `'${f.instruction}' + '${f.output}' (alpaca); found ${listKeys(obj)}. ${pairFieldsHint(obj, f, settingHint) ?? `If the data names them differently, ${settingHint('fields', '{ ... }')}`}.`,
      );
    case 'text':
      return { kind: 'text', text: str('text'), origin };
    case 'chat':
      if (obj[f.messages] === undefined) {
        // A prompt/completion file read by a chat recipe (sft-chat.yaml with its data swapped): renaming messages would not help.
        const pair = pairFieldsHint(obj, f, settingHint);
        const fix = pair === undefined ? `If the data names it differently, ${settingHint('fields.messages', '<its name>')}` : `These are a pair format's fields: ${settingHint('format', 'auto')} (it is chat). ${pair}`;
        throw new DataError(`${where}: field '${f.messages}' expected a non-empty array of { role, content }, got nothing (field missing); found ${listKeys(obj)}. ${fix}.`);
      }
      return { kind: 'chat', messages: parseMessages(obj[f.messages], f.messages, at), origin };
    case 'prompt-response': {
      const system = optionalStr('system');
      const messages: ChatMessage[] = system === undefined ? [] : [{ role: 'system', content: system }];
      messages.push({ role: 'user', content: str('prompt') }, { role: 'assistant', content: str('response') });
      return { kind: 'chat', messages, origin };
    }
    case 'alpaca': {
      const instruction = str('instruction');
      const input = optionalStr('input') ?? '';
      const user = input.trim() === '' ? instruction : `${instruction}\n\n${input}`;
      return { kind: 'chat', messages: [{ role: 'user', content: user }, { role: 'assistant', content: str('output') }], origin };
    }
    default:
      throw new DataError(`${where}: unknown JSONL format '${String(format)}' (supported: ${JSONL_FORMATS.join(', ')}).`);
  }
}

/** What other datasets call the fields of a pair (TRL's prompt-completion, Q&A sets), most common first. */
const FIELD_ALIASES: Partial<Record<keyof JsonlFields, readonly string[]>> = {
  prompt: ['question', 'query'],
  response: ['completion', 'answer', 'output', 'target'],
  output: ['response', 'completion', 'answer'],
};

/**
 * A record shaped like a pair format with a field or both named differently (`prompt` beside
 * `completion`, TRL's prompt-completion; `question` + `answer`): name the `fields` setting that
 * reads it, rather than `fields: { ... }`. Undefined when no pair is recognisable.
 */
function pairFieldsHint(obj: Record<string, unknown>, f: Required<JsonlFields>, settingHint: SettingHint): string | undefined {
  const pairs = [
    { first: 'prompt', second: 'response', format: 'prompt-response' },
    { first: 'instruction', second: 'output', format: 'alpaca' },
  ] as const;
  const named = (key: keyof JsonlFields, taken: string | undefined): string | undefined =>
    f[key] in obj ? f[key] : (FIELD_ALIASES[key] ?? []).find((alias) => alias in obj && alias !== taken);
  for (const { first, second, format } of pairs) {
    const firstName = named(first, undefined);
    if (firstName === undefined) continue;
    const secondName = named(second, firstName);
    if (secondName === undefined) {
      if (firstName !== f[first]) continue;
      return `It has '${firstName}' but no '${f[second]}': if the data names it differently, ${settingHint(`fields.${second}`, '<its name>')}`;
    }
    const renamed = [first, second].map((key, i) => ({ key, name: i === 0 ? firstName : secondName })).filter(({ key, name }) => name !== f[key]);
    return `For ${format}, ${settingHint('fields', `{ ${renamed.map(({ key, name }) => `${key}: ${name}`).join(', ')} }`)}`;
  }
  return undefined;
}

function parseMessages(value: unknown, field: string, at: JsonLocator): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new DataError(`${at([field])}: field '${field}' expected a non-empty array of { role, content }, got ${describe(value)}.`);
  }
  return value.map((m, i) => {
    const role = (m as Record<string, unknown> | null)?.role;
    const content = (m as Record<string, unknown> | null)?.content;
    if (typeof role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(role)) {
      throw new DataError(`${at(role === undefined ? [field, i] : [field, i, 'role'])}: field '${field}[${i}].role' expected one of ${CHAT_ROLES.join(', ')}, got ${describe(role)}.${roleHint(m, role)}`);
    }
    if (typeof content !== 'string') {
      const parts = Array.isArray(content) ? ' (a list of content parts is not read: join its text parts into one string)' : '';
      throw new DataError(`${at(content === undefined ? [field, i] : [field, i, 'content'])}: field '${field}[${i}].content' expected a string, got ${describe(content)}${parts}.`);
    }
    return { role: role as ChatMessage['role'], content: wellFormed(content, `${field}[${i}].content`, at([field, i, 'content'])) };
  });
}

// A high surrogate not followed by a low one, or a low one not after a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * `value`, refused if it holds a lone UTF-16 surrogate (`"\ud83d"`, half an emoji escaped by a
 * tool that cut a string): it is no character, and UTF-8 tokenizers would silently train on
 * U+FFFD in its place.
 */
function wellFormed(value: string, field: string, where: string): string {
  const at = value.search(LONE_SURROGATE);
  if (at < 0) return value;
  const code = value.charCodeAt(at).toString(16);
  throw new DataError(`${where}: field '${field}' holds a lone surrogate \\u${code} at character ${at + 1}, which is no character (half of an escaped pair such as \\ud83d\\ude00); write the character, or both halves of its pair.`);
}

// Role names of other chat formats (ShareGPT, Gemini, ...) and the Floe role each means.
const OTHER_ROLES: Record<string, string> = { human: 'user', gpt: 'assistant', bot: 'assistant', model: 'assistant', ai: 'assistant' };

/** A hint for a message in another chat format: ShareGPT's { from, value }, or a known role name. */
function roleHint(message: unknown, role: unknown): string {
  const m = (message ?? {}) as Record<string, unknown>;
  if (role === undefined && 'from' in m && 'value' in m) return ' The messages look like ShareGPT ({ from, value }): write them as { role, content } (human → user, gpt → assistant).';
  const mapped = typeof role === 'string' ? OTHER_ROLES[role.toLowerCase()] : undefined;
  return mapped === undefined ? '' : ` Did you mean '${mapped}'?`;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function listKeys(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj);
  return keys.length === 0 ? 'no fields' : `fields ${keys.map((k) => `'${k}'`).join(', ')}`;
}

/**
 * A hint for a bad line 1 of a JSONL source: the start of one JSON document spread over lines
 * (a `.json` file given as JSON Lines: an opening bracket alone, or a whole array), or a file
 * named as CSV or text. Empty otherwise.
 */
export function wholeJsonHint(text: string, line: number, file = ''): string {
  const ending = /\.(csv|tsv|txt|md)$/i.exec(file)?.[1].toLowerCase();
  if (line === 1 && ending !== undefined) {
    const source = ending === 'csv' || ending === 'tsv' ? 'a tabular csv source' : 'a text source';
    return ` (the file's name says .${ending}, not JSON Lines: for such a file use ${source})`;
  }
  const t = text.trim();
  if (!(line === 1 && (t === '[' || t === '{' || t.startsWith('[{') || t.startsWith('[ {')))) return '';
  return ' (the file looks like one JSON document, not JSON Lines: write one object per line, e.g. jq -c ".[]" data.json > data.jsonl)';
}

/** What a folder path of JSON Lines stands for: its files with these endings. */
export const JSONL_FILE_EXTENSIONS: readonly string[] = ['.jsonl', '.ndjson'];
