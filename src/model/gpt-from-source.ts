import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GptSource } from '../checkpoint/import/gpt-source';
import { collectWeights } from '../checkpoint/import/collect-weights';
import { readExtraCheckpointFiles } from '../checkpoint/extra-checkpoint-files';
import { PendingResume } from '../checkpoint/pending-resume';
import { checkTokenizerIdentity, TOKENIZER_IDENTITY_FILE } from '../tokenizer/tokenizer-identity';
import { Rng } from '../random';
import type { Trainer } from '../trainer/trainer';
import { atRecipePaths } from './at-recipe-paths';
import { GptModel } from './gpt-model';
import { GptOptions, ResolvedGptOptions, resolveGptOptions } from './gpt-options';
import { gptParamSpecs } from './gpt-params';
import { loraParamShapes } from './lora';

/** What {@link buildGptFromSource} loads from, and the factory's parts it uses. */
export interface GptFromSourceOptions {
  /** `model.from`'s opened source (absent when resuming a model without one). */
  source?: GptSource;
  /** The checkpoint a run resumes from: its weights win over the source's. */
  resume?: PendingResume;
  /** The model's own stream of the seed (LoRA factors start from it). */
  rng: Rng;
  /** The factory's memory pre-check of the resolved options at a recipe path; not called when the check is off. */
  checkMemory?: (resolved: ResolvedGptOptions, at: string) => void;
  /** Checks a Floe source's tokenizer against the run's (default {@link checkSourceTokenizer}). */
  checkTokenizer?: (dir: string) => Promise<void>;
}

/**
 * The model built straight from the source's weights (or, resuming, the checkpoint's): no
 * random init is drawn to be overwritten, and each weight is held once (the variables take the
 * loaded tensors' data). LoRA factors start as from the seed (bit for bit: the stream is
 * advanced past the skipped base draws), replaced by the source's when it has them (a LoRA
 * checkpoint; a resumed one always has them).
 */
export async function buildGptFromSource(trainer: Trainer, options: GptOptions, from: GptFromSourceOptions): Promise<GptModel> {
  const { source, resume } = from;
  // The options are checked before anything loads, as a random init would check them.
  const resolved = atRecipePaths(() => resolveGptOptions(options));
  from.checkMemory?.(resolved, source === undefined ? 'model' : 'model.from');
  const specs = gptParamSpecs(resolved);
  const base = new Map(specs.map((spec) => [spec.name, spec.shape]));
  const loraShapes = loraParamShapes(resolved);
  if (source?.kind === 'floe') await (from.checkTokenizer ?? ((dir: string) => checkSourceTokenizer(trainer, dir)))(source.dir);
  const collector = collectWeights(new Map([...base, ...loraShapes]));
  let loaded = new Map<string, tf.Tensor>();
  try {
    // A resume needs every weight, LoRA factors included, as a load into a built model does.
    if (resume !== undefined) await resume.loadWeights(trainer, collector.targets);
    // The LoRA factors are new: a base checkpoint lacks them (they keep their init), a LoRA one has them.
    else await (source as GptSource).loadWeights(collector.targets, { optional: new Set(loraShapes.keys()) });
    loaded = collector.take();
    // A weight the source leaves at its constant init (GPT-2's untied head has no bias: zeros).
    for (const spec of specs) {
      if (loaded.has(spec.name) || (spec.init !== 'zeros' && spec.init !== 'ones')) continue;
      loaded.set(spec.name, spec.init === 'zeros' ? tf.zeros(spec.shape) : tf.ones(spec.shape));
    }
    const weights = new Map([...loaded].filter(([name]) => base.has(name)));
    const model = atRecipePaths(() => new GptModel(options, { weights, rng: from.rng }));
    try {
      for (const name of loraShapes.keys()) {
        const factor = loaded.get(name);
        if (factor !== undefined) model.params.get(name)?.assign(factor);
      }
    } catch (error) {
      model.dispose();
      throw error;
    }
    if (resume !== undefined) resume.weightsLoaded = true;
    return model;
  } finally {
    // The model's variables share the data; these handles only hold a reference.
    collector.dispose();
    tf.dispose([...loaded.values()]);
  }
}

/** A Floe checkpoint names its tokenizer: one of the same size but other ids would silently scramble the embeddings. */
export async function checkSourceTokenizer(trainer: Trainer, dir: string): Promise<void> {
  const { [TOKENIZER_IDENTITY_FILE]: identity } = await readExtraCheckpointFiles(dir, [TOKENIZER_IDENTITY_FILE]);
  checkTokenizerIdentity(identity, trainer.tokenizer, { type: trainer.config.tokenizer.type, checkpoint: `model.from ${dir}`, file: path.join(dir, TOKENIZER_IDENTITY_FILE) });
}
