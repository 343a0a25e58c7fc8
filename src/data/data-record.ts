import { ChatMessage } from '../tokenizer/chat-template';

/** Where a record came from, for error messages: a file (or `synthetic:<task>`) and a 1-based line. */
export interface RecordOrigin {
  /** File path, or a pseudo-path such as `synthetic:addition`. */
  file: string;
  /** 1-based line (1 for whole-file records). */
  line: number;
}

/** Plain text for causal language modelling. */
export interface TextRecord {
  /** Discriminant. */
  kind: 'text';
  /** The full text. When `prompt`/`completion` are set, `text === prompt + completion`. */
  text: string;
  /** Part given to the model (not trained on in SFT, fed in evaluation). */
  prompt?: string;
  /** Part the model must produce (exact-match target in evaluation). */
  completion?: string;
  /** Source location. */
  origin: RecordOrigin;
}

/** A conversation for supervised fine-tuning. */
export interface ChatRecord {
  /** Discriminant. */
  kind: 'chat';
  /** The turns, in order. */
  messages: ChatMessage[];
  /** Source location. */
  origin: RecordOrigin;
}

/** One record from a data source. */
export type DataRecord = TextRecord | ChatRecord;

/** `file:line` */
export function formatOrigin(origin: RecordOrigin): string {
  return `${origin.file}:${origin.line}`;
}
