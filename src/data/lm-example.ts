/**
 * One training row before batching. All arrays have the same length T. `labels[t]` is the token
 * to predict after `inputIds[t]`; it is always a valid id (padding uses the pad id), and
 * `lossMask[t]` (1 or 0) decides whether it counts.
 */
export interface LmExample {
  /** Input token ids. */
  inputIds: number[];
  /** Next-token targets, aligned with `inputIds`. */
  labels: number[];
  /** 1 where the label is trained on, 0 elsewhere (prompts, padding). */
  lossMask: number[];
  /** Position of each token within its own document (packed rows restart at 0 per document). */
  positions?: number[];
  /** Document index within a packed row, from 1; 0 marks padding. Attention stays within a segment. */
  segmentIds?: number[];
  /** Real (non-padding) tokens, when the row ends in padding; default `inputIds.length`. */
  numTokens?: number;
}

/** A tokenized document and which of its tokens the model should learn to produce. */
export interface TokenizedDocument {
  /** Token ids, including bos/eos/end-of-turn tokens. */
  ids: number[];
  /** Parallel to `ids`: true if predicting this token is trained on. */
  trainMask: boolean[];
}
