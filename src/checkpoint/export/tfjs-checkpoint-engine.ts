import { register } from '../../registry/register';
import { ExportCheckpointConfig, ExportCheckpointEngine } from './export-checkpoint-engine';

/** Config of the `tfjs` engine. */
export class TfjsCheckpointConfig extends ExportCheckpointConfig {}

/**
 * A tfjs model folder per save, `<outputDir>/tfjs/step-NNNNNN/` (`model.json` + weight shards).
 * For a GPT it is a graph model a browser loads with `tf.loadGraphModel('…/model.json')`:
 * int32 ids `[B, T]` in, logits `[B, T, V]` out. Other models get their weights only.
 */
@register()
export class TfjsCheckpointEngine extends ExportCheckpointEngine<TfjsCheckpointConfig> {
  static override readonly type: string = 'tfjs';
  static override readonly configType = TfjsCheckpointConfig;
  static override readonly defaultDir: string = 'tfjs';
  protected readonly format = 'tfjs';
}
