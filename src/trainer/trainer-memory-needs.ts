/**
 * What a trainer holds beyond its model's weights, gradients, optimizer state and one forward of
 * `microBatchSize` rows: the model factory's memory pre-check adds it (see `Trainer.memoryNeeds`),
 * so a trainer's own needs stay in the trainer, not in special cases of the factory.
 */
export interface TrainerMemoryNeeds {
  /** Rows a micro-batch's forward holds per recipe sample (DPO: 2), with why, for the message. */
  rowsPerSample?: {
    /** Rows per sample. */
    factor: number;
    /** Why, for the message (`2 per pair: ...`). */
    note: string;
  };
  /**
   * A frozen copy of the model's weights the trainer holds beside it (DPO without LoRA: its
   * reference), with what it is and how to avoid it (both for the message).
   */
  weightCopy?: {
    /** What the copy is, in the breakdown (`dpo's reference model (...)`). */
    label: string;
    /** How to avoid it, said first in the refusal's hint. */
    advice: string;
  };
  /**
   * An inference forward of the same rows that runs outside the gradient tape before each training
   * forward (DPO's reference), named for the message. Its activations are freed before the
   * training forward starts, so the peak is the larger of the two, not their sum.
   */
  frozenForward?: string;
}
