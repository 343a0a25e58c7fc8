import { DataError } from '../errors';
import { CHAT_ROLES, ChatMessage } from '../tokenizer/chat-template';
import { RecordOrigin, formatOrigin } from './data-record';

/**
 * One preference pair for DPO: a prompt and two responses, the `chosen` one preferred over the
 * `rejected` one. Either all strings (the prompt is text, each response its continuation) or chat
 * form (the prompt a list of messages, each response an assistant message or a list of them).
 */
export interface PreferenceRecord {
  /** The shared prompt: text, or the conversation so far. */
  prompt: string | ChatMessage[];
  /** The preferred response: text, or assistant message(s). */
  chosen: string | ChatMessage[];
  /** The dispreferred response: text, or assistant message(s). */
  rejected: string | ChatMessage[];
  /** Source location (file:line). */
  origin: RecordOrigin;
}

/** Where the value at a JSON path of the line is, as `file:line:col` (or `file:line`). */
export type PreferenceLocator = (path: ReadonlyArray<string | number>) => string;

const FIELDS = ['prompt', 'chosen', 'rejected'] as const;
const ALLOWED = "a string, or in chat form a list of { role, content } messages (the prompt) and an assistant message or list of them (chosen, rejected)";

/**
 * Reads one parsed JSON line as a {@link PreferenceRecord}. Throws a DataError naming file:line[:col],
 * the field and what it allows: all three fields present; all strings, or a message list for the
 * prompt and assistant message(s) for the responses.
 */
export function parsePreferenceRecord(value: unknown, origin: RecordOrigin, locate?: PreferenceLocator): PreferenceRecord {
  const where = formatOrigin(origin);
  const at: PreferenceLocator = locate ?? (() => where);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DataError(`${where}: expected a JSON object { prompt, chosen, rejected }, got ${describe(value)}.`);
  const obj = value as Record<string, unknown>;
  for (const field of FIELDS) {
    if (obj[field] === undefined) throw new DataError(`${where}: field '${field}' is missing (found ${Object.keys(obj).map((k) => `'${k}'`).join(', ') || 'no fields'}); a preference record has 'prompt', 'chosen' and 'rejected', each ${ALLOWED}.`);
  }
  const strings = FIELDS.filter((f) => typeof obj[f] === 'string');
  if (strings.length === 3) {
    for (const field of ['chosen', 'rejected'] as const) {
      if (obj[field] === '') throw new DataError(`${at([field])}: field '${field}' is an empty string; a response needs at least one character.`);
    }
    return { prompt: obj.prompt as string, chosen: obj.chosen as string, rejected: obj.rejected as string, origin };
  }
  if (strings.length > 0) {
    const other = FIELDS.find((f) => typeof obj[f] !== 'string') as string;
    throw new DataError(`${at([other])}: field '${other}' is ${describe(obj[other])} while '${strings.join("', '")}' ${strings.length === 1 ? 'is a string' : 'are strings'}; write all three as strings, or all in chat form (prompt: a list of messages; chosen/rejected: assistant message(s)).`);
  }
  const prompt = messages(obj.prompt, 'prompt', at);
  const chosen = responseMessages(obj.chosen, 'chosen', at);
  const rejected = responseMessages(obj.rejected, 'rejected', at);
  return { prompt, chosen, rejected, origin };
}

function messages(value: unknown, field: string, at: PreferenceLocator): ChatMessage[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new DataError(`${at([field])}: field '${field}' is an empty list; it takes ${ALLOWED}.`);
  return list.map((m, i) => {
    const path = Array.isArray(value) ? [field, i] : [field];
    const name = Array.isArray(value) ? `${field}[${i}]` : field;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new DataError(`${at(path)}: field '${name}' is ${describe(m)}; it takes ${ALLOWED}.`);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(role)) throw new DataError(`${at([...path, 'role'])}: field '${name}.role' is ${describe(role)}; allowed: ${CHAT_ROLES.join(', ')}.`);
    if (typeof content !== 'string') throw new DataError(`${at([...path, 'content'])}: field '${name}.content' is ${describe(content)}; it takes a string.`);
    return { role: role as ChatMessage['role'], content };
  });
}

function responseMessages(value: unknown, field: string, at: PreferenceLocator): ChatMessage[] {
  const list = messages(value, field, at);
  list.forEach((m, i) => {
    if (m.role !== 'assistant') {
      const path = Array.isArray(value) ? [field, i, 'role'] : [field, 'role'];
      throw new DataError(`${at(path)}: field '${Array.isArray(value) ? `${field}[${i}]` : field}.role' is '${m.role}'; a response holds assistant messages only (the conversation before it goes in 'prompt').`);
    }
  });
  return list;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}
