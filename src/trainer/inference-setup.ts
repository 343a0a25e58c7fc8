/**
 * A trainer whose model cannot be rebuilt from the recipe alone: the supervised trainer's model
 * takes its input and output sizes from the data schema saved with the checkpoint. Loaders of a
 * checkpoint's model (`floe export`, `floe generate`, `floe predict`) let such a trainer build
 * its model itself from the checkpoint folder.
 */
export interface InferenceSetup {
  /** Extra checkpoint files (see `Trainer.extraCheckpointFiles`) the model needs, by name. */
  readonly inferenceFiles: readonly string[];
  /** Builds the model from the checkpoint folder `dir` and `files` (parsed), with its weights checked; on failure nothing stays allocated. */
  setupForInference(dir: string, files: Record<string, unknown>): Promise<void>;
  /** Frees what {@link setupForInference} allocated besides the model (the loader disposes the model itself). */
  disposeInference?(): void;
}

/** Whether `trainer` builds its model for inference itself. */
export function hasInferenceSetup(trainer: object): trainer is InferenceSetup {
  const t = trainer as Partial<InferenceSetup>;
  return typeof t.setupForInference === 'function' && Array.isArray(t.inferenceFiles);
}
