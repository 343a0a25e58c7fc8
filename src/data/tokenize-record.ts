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
  const bos = options.addBos === true ? 1 : 0;
  const pieces: { ids: readonly number[]; trained: boolean }[] =
    record.prompt !== undefined && record.completion !== undefined
      ? [
          { ids: tokenizer.encode(record.prompt), trained: false },
          { ids: tokenizer.encode(record.completion), trained: true },
        ]
      : [{ ids: tokenizer.encode(record.text), trained: true }];
  // Both arrays are sized once (a long line is tens of millions of ids; push would copy them as
  // they grow), and the ids are filled before the mask is made, so a piece's copy can go first.
  const length = bos + pieces.reduce((n, p) => n + p.ids.length, 0) + 1;
  const ids = new Array<number>(length).fill(0);
  let at = 0;
  if (bos === 1) ids[at++] = tokenizer.bosId;
  const ends: number[] = [];
  const vocab = tokenizer.vocabSize;
  for (const piece of pieces) {
    for (let i = 0; i < piece.ids.length; i++) {
      const id = piece.ids[i];
      // An id outside the vocabulary otherwise fails in the model's embedding lookup (tfjs's
      // GatherV2 error, blamed on loss()), far from the tokenizer that made it.
      if (!(id >= 0 && id < vocab && Number.isInteger(id))) {
        throw new DataError(`the tokenizer's encode() gave id ${id}, outside its vocabulary: ids must be whole numbers in [0, ${vocab}) (vocabSize ${vocab})`);
      }
      ids[at++] = id;
    }
    ends.push(at);
  }
  ids[at] = tokenizer.eosId;
  const trained = pieces.map((p) => p.trained);
  pieces.length = 0;
  const trainMask = new Array<boolean>(length).fill(true);
  if (bos === 1) trainMask[0] = false;
  let from = bos;
  ends.forEach((end, k) => {
    if (!trained[k]) trainMask.fill(false, from, end);
    from = end;
  });
  return { ids, trainMask };
}
