import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GptSource, loadCheckpointModel } from '../../src/checkpoint';
import { GptModel, GptModelFactory, GptOptions, LanguageModelTrainer, Rng } from '../../src';
import { countNormalDraws } from '../support/normal-draws';
import { expectNoLeak } from '../support/tensors';
import { RecordedRun, runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { writeTinyGpt2Folder } from './fixtures/tiny-gpt2-folder';
import { makeTempDir } from './temp-dir';

type FactoryInternals = { trainer: { config: { seed: number } }; checkSourceTokenizer(dir: string): Promise<void> };
type BuildFromSource = (this: FactoryInternals, options: GptOptions, from: { source?: GptSource; resume?: unknown }) => Promise<GptModel>;

/** The factory's `model.from` path before it built from the weights: a random init from the seed, every weight then copied over it. */
const previousBuild: BuildFromSource = async function (options, { source, resume }) {
  // These specs load `model.from` sources only; a resume never took this path before.
  if (source === undefined || resume !== undefined) throw new Error('previousBuild: a model.from source only');
  const model = new GptModel(options, new Rng(this.trainer.config.seed).fork('model'));
  try {
    if (source.kind === 'floe') await this.checkSourceTokenizer(source.dir);
    await source.loadWeights(model.params, { optional: new Set(model.lora?.paramNames ?? []) });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
};

/** Runs `fn` with the factory building models `from` a source the previous way. */
async function withPreviousPath<T>(fn: () => Promise<T>): Promise<T> {
  const proto = GptModelFactory.prototype as unknown as { buildFromSource: BuildFromSource };
  const current = proto.buildFromSource;
  proto.buildFromSource = previousBuild;
  try {
    return await fn();
  } finally {
    proto.buildFromSource = current;
  }
}

/** Every weight's float32 bits, by name. */
function weightBits(params: Map<string, tf.Variable>): Map<string, Buffer> {
  return new Map([...params].map(([name, v]) => [name, Buffer.from((v.dataSync() as Float32Array).buffer.slice(0))]));
}

/** Logits' float32 bits for a fixed batch. */
function logitBits(model: GptModel): Buffer {
  const ids = tf.tensor2d([[1, 5, 3, 9, 2, 7], [4, 4, 0, 6, 8, 2]], [2, 6], 'int32');
  const logits = model.forward(ids);
  const bits = Buffer.from((logits.dataSync() as Float32Array).buffer.slice(0));
  tf.dispose([ids, logits]);
  return bits;
}

/** A model's weights and logits right after it was built, and the normal draws of the whole run. */
interface Built {
  run: RecordedRun;
  weights: Map<string, Buffer>;
  logits: Buffer;
  draws: number;
}

async function runFrom(recipe: Record<string, unknown>): Promise<Built> {
  let weights = new Map<string, Buffer>();
  let logits: Buffer = Buffer.alloc(0);
  const { result: run, draws } = await countNormalDraws(() =>
    runRecorded(recipe, {
      onTrainerReady: async (trainer) => {
        const gpt = (trainer as LanguageModelTrainer).gpt;
        weights = weightBits(gpt.params);
        logits = logitBits(gpt);
      },
    }),
  );
  return { run, weights, logits, draws };
}

function assertSameModel(actual: Built, expected: Built): void {
  assert.deepEqual([...actual.weights.keys()], [...expected.weights.keys()], 'parameter names and order');
  for (const [name, bits] of expected.weights) assert.ok(bits.equals(actual.weights.get(name) as Buffer), `weight ${name} differs`);
  assert.ok(actual.logits.equals(expected.logits), 'logits differ');
  assert.deepEqual([...actual.run.losses], [...expected.run.losses], 'fine-tuning losses');
}

describe('Loading weights without a random init', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-from-weights-')));
  afterEach(() => cleanup());

  it('model.from a Floe checkpoint, with LoRA on top and from a LoRA checkpoint: weights, logits and fine-tuning losses bit-identical to a random init overwritten; no normal draw', async () => {
    await runRecorded(tinyGptRecipe(path.join(dir, 'base'), { trainIters: 10 }));
    const base = path.join(dir, 'base', 'checkpoints', 'step-000010');
    const lora = { rank: 2, alpha: 4, dropout: 0.1, targets: ['*.attn.qkv', '*.mlp.up'] };
    const fineTune = (out: string, from: string): Record<string, unknown> =>
      tinyGptRecipe(path.join(dir, out), { trainIters: 6, model: { type: 'gpt', from, dropout: 0.1, lora }, checkpoint: [{ type: 'floe', saveEveryNSteps: 6 }] });
    const now = await runFrom(fineTune('lora', base));
    const before = await withPreviousPath(() => runFrom(fineTune('lora-before', base)));
    assertSameModel(now, before);
    assert.equal(now.draws, 0);
    assert.ok(before.draws > 0, 'the previous path drew a random init');
    // From the LoRA checkpoint: the source's factors replace the drawn ones.
    const loraCheckpoint = path.join(dir, 'lora', 'checkpoints', 'step-000006');
    const again = await runFrom(fineTune('lora-2', loraCheckpoint));
    const againBefore = await withPreviousPath(() => runFrom(fineTune('lora-2-before', loraCheckpoint)));
    assertSameModel(again, againBefore);
    assert.equal(again.draws, 0);
    assert.ok(!again.weights.get('blocks.0.attn.qkv.lora_b')?.equals(now.weights.get('blocks.0.attn.qkv.lora_b') as Buffer), 'lora_b comes from the checkpoint, not its zero init');
  });

  it('model.from a HuggingFace GPT-2 folder: weights, logits and losses bit-identical to a random init overwritten; no normal draw', async () => {
    const hf = writeTinyGpt2Folder(path.join(dir, 'gpt2'), { tied: false, prefixed: true });
    const recipe = (out: string): Record<string, unknown> =>
      tinyGptRecipe(path.join(dir, out), {
        trainIters: 3,
        tokenizer: { type: 'hf', path: hf.dir },
        data: { type: 'causal', sources: [{ type: 'synthetic', task: 'reverse', count: 40, output: 'text', alphabet: 'helowrd' }], maxLength: 12, evalGenerations: 0, cache: false },
        model: { type: 'gpt', from: hf.dir, dropout: 0.1 },
      });
    const now = await runFrom(recipe('now'));
    const before = await withPreviousPath(() => runFrom(recipe('before')));
    assertSameModel(now, before);
    assert.ok(now.weights.has('lm_head.weight') && now.weights.has('lm_head.bias'));
    assert.equal(now.draws, 0);
    assert.ok(before.draws > 0);
  });

  it('loadCheckpointModel builds a GPT from the checkpoint: every weight and the logits as before, no normal draw, no tensor left', async () => {
    await runRecorded(tinyGptRecipe(path.join(dir, 'run'), { trainIters: 10 }));
    const checkpoint = path.join(dir, 'run', 'checkpoints', 'step-000010');
    const load = async (): Promise<{ weights: Map<string, Buffer>; logits: Buffer; draws: number }> =>
      expectNoLeak(async () => {
        const { result: loaded, draws } = await countNormalDraws(() => loadCheckpointModel(checkpoint));
        try {
          return { weights: weightBits(loaded.model.params), logits: logitBits(loaded.model as GptModel), draws };
        } finally {
          loaded.dispose();
        }
      }, 'loadCheckpointModel');
    const now = await load();
    const before = await withPreviousPath(load);
    assert.equal(now.draws, 0);
    assert.ok(before.draws > 0);
    assert.deepEqual([...now.weights.keys()], [...before.weights.keys()]);
    for (const [name, bits] of before.weights) assert.ok(bits.equals(now.weights.get(name) as Buffer), `weight ${name} differs`);
    assert.ok(now.logits.equals(before.logits), 'logits differ');
    // The weights are the checkpoint's own, bit for bit.
    const saved = fs.readFileSync(path.join(checkpoint, 'model.safetensors'));
    const norm = now.weights.get('norm.weight') as Buffer;
    assert.ok(saved.includes(norm), 'norm.weight as saved');
  });

  it('a LoRA model built from given weights draws its factors and dropout stream as after a random init (needs the rng)', () => {
    const options: GptOptions = { vocabSize: 11, maxLength: 8, layers: 2, heads: 2, dim: 8, dropout: 0.1, lora: { rank: 2, dropout: 0.1 } };
    const drawn = new GptModel(options, new Rng(5));
    const { lora: _lora, ...plain } = drawn.options;
    const weights = new Map([...drawn.params].filter(([name]) => !name.includes('.lora_')));
    const built = new GptModel(options, { weights, rng: new Rng(5) });
    try {
      assert.deepEqual(weightBits(built.params), weightBits(drawn.params));
      const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
      const [a, b] = [drawn.forward(ids, { training: true }), built.forward(ids, { training: true })];
      assert.deepEqual(a.dataSync(), b.dataSync(), 'same dropout masks from the same stream');
      tf.dispose([ids, a, b]);
      assert.throws(() => new GptModel(options, { weights }), /initial weights with lora need \{ weights, rng \}/);
      const plainModel = new GptModel(plain, { weights });
      assert.equal(plainModel.lora, undefined);
      plainModel.dispose();
    } finally {
      drawn.dispose();
      built.dispose();
    }
  });
});
