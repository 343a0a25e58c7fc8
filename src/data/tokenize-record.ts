import { ChatTemplateOptions, Tokenizer, renderChat } from '../tokenizer';
import { DataError } from '../errors';
import { DataRecord, formatOrigin } from './data-record';
import { TokenizedDocument } from './lm-example';

/** Options of {@link tokenizeRecord}. */
export interface TokenizeRecordOptions {
  /** Chat formatting for `chat` records. */
  chat?: ChatTemplateOptions;
  /** Put bos before `text` records. Default false (eos alone separates documents). */
  addBos?: boolean;
}

/**
 * Turns a record into ids ending in eos (end-of-turn for chats):
 * - text: `[bos] text eos`, every token trained;
 * - text with `prompt`/`completion`: same ids, only completion and eos trained;
 * - chat: {@link renderChat}, only assistant content and its end-of-turn trained.
 */
export function tokenizeRecord(record: DataRecord, tokenizer: Tokenizer, options: TokenizeRecordOptions = {}): TokenizedDocument {
  try {
    return tokenize(record, tokenizer, options);
  } catch (err) {
    // Tokenizer and template errors do not know the record; say where it came from.
    if (err instanceof DataError) throw new DataError(`${formatOrigin(record.origin)}: ${err.message}`, { cause: err });
    throw err;
  }
}

function tokenize(record: DataRecord, tokenizer: Tokenizer, options: TokenizeRecordOptions): TokenizedDocument {
  if (record.kind === 'chat') {
    const { ids, assistantMask } = renderChat(tokenizer, record.messages, options.chat);
    return { ids, trainMask: assistantMask };
  }
  const ids: number[] = options.addBos === true ? [tokenizer.bosId] : [];
  const trainMask: boolean[] = options.addBos === true ? [false] : [];
  const add = (piece: readonly number[], trained: boolean): void => {
    for (const id of piece) {
      ids.push(id);
      trainMask.push(trained);
    }
  };
  if (record.prompt !== undefined && record.completion !== undefined) {
    add(tokenizer.encode(record.prompt), false);
    add(tokenizer.encode(record.completion), true);
  } else {
    add(tokenizer.encode(record.text), true);
  }
  add([tokenizer.eosId], true);
  return { ids, trainMask };
}
