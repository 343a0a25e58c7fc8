import { register } from '../../registry/register';
import { ExportCheckpointConfig, ExportCheckpointEngine } from './export-checkpoint-engine';

/** Config of the `safetensors` engine. */
export class SafetensorsCheckpointConfig extends ExportCheckpointConfig {}

/**
 * Weights only, as `step-NNNNNN/model.safetensors` under `<outputDir>/safetensors` with Floe's
 * documented names (`embed.tokens.weight`, `blocks.0.attn.qkv.weight`, ...; linear weights
 * `[in, out]`), plus `model-config.json` and a manifest. Not resumable (no optimizer or trainer
 * state); a recipe can start from it with `model.from`.
 */
@register()
export class SafetensorsCheckpointEngine extends ExportCheckpointEngine<SafetensorsCheckpointConfig> {
  static override readonly type: string = 'safetensors';
  static override readonly configType = SafetensorsCheckpointConfig;
  static override readonly defaultDir: string = 'safetensors';
  protected readonly format = 'safetensors';
}
