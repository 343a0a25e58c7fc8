import { register } from '../../registry/register';
import { ExportCheckpointConfig, ExportCheckpointEngine } from './export-checkpoint-engine';
import type { ExportModelOptions } from './export-model';
import { hfExportTokenizer } from './hf-export-tokenizer';

/** Config of the `hf` engine. */
export class HfCheckpointConfig extends ExportCheckpointConfig {}

/**
 * A HuggingFace folder per save, `<outputDir>/hf/step-NNNNNN/` (`config.json`, `model.safetensors`,
 * `generation_config.json`, the `hf` tokenizer's files), as `floe export --format hf` writes it:
 * transformers' `from_pretrained` loads it. A GPT whose settings have no HF architecture fails
 * at its first save, naming them. Not resumable.
 */
@register()
export class HfCheckpointEngine extends ExportCheckpointEngine<HfCheckpointConfig> {
  static override readonly type: string = 'hf';
  static override readonly configType = HfCheckpointConfig;
  static override readonly defaultDir: string = 'hf';
  protected readonly format = 'hf';
  private noted = false;

  protected override exportOptions(): Partial<ExportModelOptions> {
    const tokenizer = hfExportTokenizer(this.trainer);
    // Said once per run, not at every save.
    if (tokenizer.note !== undefined && !this.noted) this.trainer.context.logger.warn(`checkpoint hf: ${tokenizer.note}.`);
    this.noted = true;
    return { tokenizer };
  }
}
