/**
 * One training row before batching. All arrays have the same length T. `labels[t]` is the token
 * to predict after `inputIds[t]`; it is always a valid id (padding uses the pad id), and
 * `lossMask[t]` (1 or 0) decides whether it counts.
 *
 * Rows are typed arrays, not `number[]`: a corpus of tens of millions of tokens held as JS arrays
 * costs ~24 bytes per token of V8 heap (4.3 GB caps the heap here) and every major GC walks it;
 * typed arrays live outside the heap at 4 bytes per value. Floe's packers and the example cache
 * hand out views that share one buffer (a causal row's `inputIds` and `labels` overlap the same
 * token stream), so treat rows as read-only.
 */
export interface LmExample {
  /** Input token ids. */
  inputIds: Int32Array;
  /** Next-token targets, aligned with `inputIds`. */
  labels: Int32Array;
  /** 1 where the label is trained on, 0 elsewhere (prompts, padding). */
  lossMask: Float32Array;
  /** Position of each token within its own document (packed rows restart at 0 per document). */
  positions?: Int32Array;
  /** Document index within a packed row, from 1; 0 marks padding. Attention stays within a segment. */
  segmentIds?: Int32Array;
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
