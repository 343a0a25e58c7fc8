import * as fs from 'fs/promises';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { IsBoolean, IsOptional, registerDecorator, ValidationArguments } from 'class-validator';
import { TfjsFileHandler, TFJS_MODEL_JSON } from '../checkpoint/formats/tfjs-file-handler';
import { ConfigError, didYouMean } from '../errors';
import { register } from '../registry/register';
import { Rng } from '../random';
import { LayersModelAdapter, MODEL_TOPOLOGY_FILE, modelFromTopology } from './layers-model';
import { ModelConfig, ModelFactory } from './model-factory';
import { activationMismatch, activationMismatchMessage, LossSection } from './output-activation-rule';
import { supervisedHost } from './supervised-model';
import { IsPath } from '../config/is-path';

/** `tf.layers` factories that take a single input, so they can be stacked in a list. */
export const TFJS_LAYER_TYPES: readonly string[] = Object.keys(tf.layers)
  .filter((name) => /^[a-z]/.test(name) && typeof (tf.layers as Record<string, unknown>)[name] === 'function')
  .filter((name) => !['input', 'inputLayer', 'add', 'average', 'concatenate', 'dot', 'maximum', 'minimum', 'multiply', 'rnn', 'bidirectional', 'timeDistributed'].includes(name))
  .sort();

/** One layer of a recipe's layer list: `{ type: dense, units: 32, activation: relu }`. */
export type LayerSpec = { type: string } & Record<string, unknown>;

function layerListProblem(c: LayersConfig): string | undefined {
  if (c.layers === undefined && c.modelJson === undefined) return "missing: give 'layers: [...]' (a list of tf.layers, e.g. { type: dense, units: 32 }) or 'modelJson: path/to/model.json'";
  if (c.layers !== undefined && c.modelJson !== undefined) return "give either 'layers' or 'modelJson', not both";
  if (c.layers === undefined) return undefined;
  if (!Array.isArray(c.layers) || c.layers.length === 0) return `must be a non-empty list of layers like { type: dense, units: 32 }, got ${JSON.stringify(c.layers)}`;
  for (const [i, layer] of c.layers.entries()) {
    if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) return `layers[${i}] must be a mapping like { type: dense, units: 32 }, got ${JSON.stringify(layer)}`;
    const type = (layer as Record<string, unknown>).type;
    if (typeof type !== 'string') return `layers[${i}] needs a 'type' naming a tf.layers factory (dense, dropout, batchNormalization, ...)`;
    if (!TFJS_LAYER_TYPES.includes(type)) return `layers[${i}].type '${type}' is not a tf.layers factory that takes one input.${didYouMean(type, TFJS_LAYER_TYPES)} Allowed: ${TFJS_LAYER_TYPES.join(', ')}`;
  }
  return undefined;
}

/** Checks `layers` / `modelJson`: exactly one, and each layer names a known tf.layers factory. Pure. */
function LayerList(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'layerList',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (_v: unknown, args: ValidationArguments) => layerListProblem(args.object as LayersConfig) === undefined,
        defaultMessage: (args: ValidationArguments) => layerListProblem(args.object as LayersConfig) ?? '',
      },
    });
  };
}

/** Config of the `layers` model: a tfjs LayersModel given as a layer list or loaded from model.json. */
export class LayersConfig extends ModelConfig {
  /** Layers stacked in order, each `{ type: <tf.layers factory>, ...its args }`; the first gets the input shape. */
  // One validator checks the list and its relation to modelJson, so a missing pair is one message.
  @LayerList()
  layers?: LayerSpec[];

  /** A tfjs `model.json` (or the folder holding it), relative to the recipe. */
  @IsOptional()
  @IsPath()
  modelJson?: string;

  /** Start from the weights model.json lists (when it has any); false draws fresh seeded weights. */
  @IsBoolean()
  loadWeights = true;
}

/**
 * Brings an existing tfjs model: stacks `layers` into a `tf.sequential`, or loads `modelJson`.
 * Fresh weights come from the model's own initializers, seeded from the recipe's seed; Floe's
 * optimizer then trains the model's variables (see {@link LayersModelAdapter}).
 */
@register()
export class LayersModelFactory extends ModelFactory<LayersConfig, LayersModelAdapter> {
  static override readonly type: string = 'layers';
  static override readonly configType = LayersConfig;

  async createModel(): Promise<LayersModelAdapter> {
    const host = supervisedHost(this.trainer, 'layers');
    const rng = new Rng(this.trainer.config.seed).fork('model');
    const saved = host.restoredCheckpointFiles?.[MODEL_TOPOLOGY_FILE];
    let model: tf.LayersModel;
    if (saved !== undefined) model = await modelFromTopology(saved, rng);
    else if (this.config.modelJson !== undefined) model = await this.loadModelJson(this.config.modelJson, rng);
    else model = await modelFromTopology(this.stackLayers(this.config.layers ?? [], host.modelInputSize), rng);
    const adapter = new LayersModelAdapter(model);
    const problems: string[] = [];
    if (adapter.inputSize !== host.modelInputSize) problems.push(`takes ${adapter.inputSize} features per row, but the data has ${host.modelInputSize}`);
    if (adapter.outputSize !== host.modelOutputSize) problems.push(`gives ${adapter.outputSize} outputs per row, but the data and loss need ${host.modelOutputSize}`);
    // A checkpoint's saved topology is what the run trained; only a new model is checked against its loss.
    const mismatch = saved === undefined ? activationMismatch(lastActivation(model), (this.trainer.config as { loss?: LossSection }).loss) : undefined;
    if (mismatch !== undefined) problems.push(`ends in a layer with activation '${lastActivation(model)}' ${activationMismatchMessage(mismatch, 'activation')}`);
    if (problems.length > 0) {
      adapter.dispose();
      const where = this.config.modelJson === undefined ? 'model.layers' : 'model.modelJson';
      throw new ConfigError([{ path: where, message: `the tfjs model ${problems.join(' and ')}` }]);
    }
    return adapter;
  }

  /** The Keras-style topology of the layer list (built once to serialize it, then freed). */
  private stackLayers(specs: readonly LayerSpec[], inputSize: number): unknown {
    const model = tf.sequential();
    try {
      specs.forEach((spec, i) => {
        const { type, ...args } = spec;
        const make = (tf.layers as unknown as Record<string, (a: object) => tf.layers.Layer>)[type];
        const extra = i === 0 && args.inputShape === undefined && args.batchInputShape === undefined ? { inputShape: [inputSize] } : {};
        let layer: tf.layers.Layer;
        try {
          layer = make({ name: `${type}_${i}`, ...extra, ...args });
          model.add(layer);
        } catch (error) {
          throw new ConfigError([{ path: `model.layers[${i}]`, message: `tf.layers.${type}(...) failed: ${(error as Error).message}` }]);
        }
        checkLayerArgs(layer, type, Object.keys(args), i);
      });
      return model.toJSON(null, false);
    } finally {
      model.dispose();
    }
  }

  /** Loads model.json (with its weights unless `loadWeights` is false). */
  private async loadModelJson(spec: string, rng: Rng): Promise<tf.LayersModel> {
    const target = path.resolve(this.trainer.context.recipeDir, spec);
    const stat = await fs.stat(target).catch(() => undefined);
    const dir = stat?.isDirectory() === true ? target : path.dirname(target);
    if (stat === undefined || (stat.isFile() && path.basename(target) !== TFJS_MODEL_JSON)) {
      const why = stat === undefined ? 'not found' : `a tfjs model file must be named ${TFJS_MODEL_JSON}`;
      throw new ConfigError([{ path: 'model.modelJson', message: `${spec}: ${why} (resolved to ${target})` }]);
    }
    const artifacts = await new TfjsFileHandler(dir).load();
    const hasWeights = (artifacts.weightSpecs?.length ?? 0) > 0;
    if (hasWeights && this.config.loadWeights) return tf.loadLayersModel(new TfjsFileHandler(dir));
    return modelFromTopology(artifacts.modelTopology, rng);
  }
}

/** Layers that pass values through unchanged at inference, so the activation before them is the model's last. */
const PASS_THROUGH_LAYERS = ['Dropout', 'AlphaDropout', 'GaussianDropout', 'GaussianNoise', 'SpatialDropout1D', 'Flatten', 'Reshape'];

/** The activation the model's outputs come from: a Softmax or Activation layer, or the last layer's `activation`. */
function lastActivation(model: tf.LayersModel): string {
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const layer = model.layers[i];
    const name = layer.getClassName();
    if (PASS_THROUGH_LAYERS.includes(name)) continue;
    if (name === 'Softmax') return 'softmax';
    const activation = (layer.getConfig() as { activation?: unknown }).activation;
    return typeof activation === 'string' ? activation : 'linear';
  }
  return 'linear';
}

/** Arguments every layer takes that its `getConfig()` does not echo back. */
const BASE_LAYER_ARGS = ['inputShape', 'batchInputShape', 'batchSize', 'inputDim', 'dtype', 'name', 'trainable', 'weights', 'inputDType'];

/**
 * tf.layers ignores arguments it does not know, so `activaton: relu` would build a linear layer
 * without a word: an argument that is neither echoed by the layer's config nor a base argument,
 * and is a near miss of one that is, is a typo.
 */
function checkLayerArgs(layer: tf.layers.Layer, type: string, argNames: readonly string[], index: number): void {
  const known = [...Object.keys(layer.getConfig()), ...BASE_LAYER_ARGS];
  for (const arg of argNames) {
    if (known.includes(arg)) continue;
    const near = didYouMean(arg, known);
    if (near !== '') {
      throw new ConfigError([{ path: `model.layers[${index}].${arg}`, message: `tf.layers.${type} has no argument '${arg}' (it would be ignored).${near}` }]);
    }
  }
}
