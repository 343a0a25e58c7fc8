/**
 * Upper bounds of the GPT size settings: each well past any model this framework can train (the
 * largest published models stay under a fifth of each), so a value beyond one is a typo (`1e12`)
 * caught at validation rather than an allocation failure later.
 */
export const GPT_LIMITS = {
  /** Transformer blocks. */
  layers: 1024,
  /** Attention heads. */
  heads: 1024,
  /** Model width (2^16). */
  dim: 65_536,
  /** MLP hidden width (2^18). */
  ffnDim: 262_144,
  /** Vocabulary size (2^24: token ids stay exact as float32). */
  vocabSize: 16_777_216,
  /** Context length (2^20). */
  maxLength: 1_048_576,
} as const;
