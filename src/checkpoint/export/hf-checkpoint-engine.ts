import { CheckpointError, ConfigError } from '../../errors';
import { GptModel } from '../../model/gpt-model';
import { register } from '../../registry/register';
import type { Trainer } from '../../trainer/trainer';
import { ExportCheckpointConfig, ExportCheckpointEngine } from './export-checkpoint-engine';
import type { ExportModelOptions } from './export-model';
import { hfExportModelType } from './hf-export-config';
import { hfExportTokenizer } from './hf-export-tokenizer';

/** Config of the `hf` engine. */
export class HfCheckpointConfig extends ExportCheckpointConfig {}

/**
 * A HuggingFace folder per save, `<outputDir>/hf/step-NNNNNN/` (`config.json`, `model.safetensors`,
 * `generation_config.json`, the `hf` tokenizer's files), as `floe export --format hf` writes it:
 * transformers' `from_pretrained` loads it. A model with no HF architecture (not a GPT, or GPT
 * settings HF has no class for) is refused when the engine is built, before training, at
 * `checkpoint[i]`. Not resumable.
 */
@register()
export class HfCheckpointEngine extends ExportCheckpointEngine<HfCheckpointConfig> {
  static override readonly type: string = 'hf';
  static override readonly configType = HfCheckpointConfig;
  static override readonly defaultDir: string = 'hf';
  protected readonly format = 'hf';
  private noted = false;

  constructor(trainer: Trainer, config: HfCheckpointConfig) {
    super(trainer, config);
    const problem = hfEngineProblem(trainer);
    if (problem !== undefined) {
      const index = trainer.config.checkpoint.indexOf(config);
      throw new ConfigError([{ path: index >= 0 ? `checkpoint[${index}]` : 'checkpoint', message: problem }]);
    }
  }

  protected override exportOptions(): Partial<ExportModelOptions> {
    const tokenizer = hfExportTokenizer(this.trainer);
    // Said once per run, not at every save.
    if (tokenizer.note !== undefined && !this.noted) this.trainer.context.logger.warn(`checkpoint hf: ${tokenizer.note}.`);
    this.noted = true;
    return { tokenizer };
  }
}

/** Why the run's model cannot be saved as an HF folder, found before training (undefined: it can, or no model yet). */
function hfEngineProblem(trainer: Trainer): string | undefined {
  const model = (trainer as { model?: unknown }).model;
  if (model === undefined) return undefined;
  if (!(model instanceof GptModel)) return `type hf saves 'gpt' models only (HuggingFace architectures gpt2, llama, qwen2, qwen3, gemma3_text); this run's model is '${trainer.config.model.type}': use type safetensors or tfjs`;
  try {
    hfExportModelType(model.options);
    return undefined;
  } catch (error) {
    if (error instanceof CheckpointError) return error.message;
    throw error;
  }
}
