import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, runJob, Trainer } from '../../src';
import { loadCheckedWeights } from '../../src/checkpoint/checked-load';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { readSafetensorsTensors } from '../../src/checkpoint/formats/read-safetensors-tensors';
import { GptModel } from '../../src/model';
import { Rng } from '../../src/random';
import { rankWeights, stepLosses, tinyRecipe } from '../distributed/dp-recipes';
import { useTempDir } from '../fixtures/supervised';
import { writeTinyGpt2Folder, hfGpt2Forward } from '../checkpoint/fixtures/tiny-gpt2-folder';
import { cli } from '../support/cli-run';
import { assertClose } from '../support/tensors';
import { observe, sameBits, type Observed } from './observe-run';

const isLora = (name: string): boolean => /\.lora_[ab]$/.test(name);
// An untied head: adapting it moves the output distribution, which a few steps of a tiny model mostly learn.
const BASE_MODEL = { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, tieEmbeddings: false };
const LORA = { rank: 4, alpha: 16, targets: ['*.attn.*', '*.mlp.*', 'lm_head'], dropout: 0.1 };

describe('model.lora (LoRA fine-tuning of a GPT)', () => {
  const tmp = useTempDir('floe-lora-');
  let base: Observed;
  let baseCheckpoint: string;
  const loraRecipe = (name: string, fields: Record<string, unknown> = {}): Record<string, unknown> =>
    tinyRecipe(path.join(tmp(), name), { distributed: 'none', quiet: false, trainIters: 12, callbacks: [], checkpoint: [{ type: 'floe', saveEveryNSteps: 6 }], model: { type: 'gpt', from: baseCheckpoint, lora: LORA }, ...fields });

  beforeEach(async () => {
    base = await observe(tinyRecipe(path.join(tmp(), 'base'), { distributed: 'none', trainIters: 4, callbacks: [], checkpoint: [{ type: 'floe' }], model: BASE_MODEL }));
    baseCheckpoint = base.result.lastCheckpointPath as string;
  });

  it('trains only the adapters from model.from: base weights keep every bit, the loss falls, the start line says so; resume is bit-exact', async () => {
    const run = await observe(loraRecipe('lora'));
    assert.equal(run.result.globalStep, 12);
    for (const [name, start] of run.before) {
      if (isLora(name)) {
        assert.ok(!sameBits(start, run.after.get(name)), `${name} trains`);
      } else {
        assert.ok(sameBits(start, base.after.get(name)), `${name} loaded from the base checkpoint`);
        assert.ok(sameBits(start, run.after.get(name)), `${name} is frozen`);
      }
    }
    assert.equal(run.before.size, base.after.size + 10, 'lora_a and lora_b for 5 dense layers');
    assert.ok(run.stateKeys.length > 1 && run.stateKeys.every((k) => k === 'step' || isLora(k.slice(0, k.indexOf('/')))), run.stateKeys.join(', '));
    const losses = stepLosses(path.join(tmp(), 'lora'));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(losses.slice(-3)) < mean(losses.slice(0, 3)) - 0.5, `the loss falls (${losses.join(', ')})`);
    const start = run.lines.find((l) => l.startsWith('info: lora: '));
    assert.match(start ?? run.lines.join('\n'), /^info: lora: rank 4, alpha 16, dropout 0\.1 on 5 dense layers \(blocks\.0\.attn\.qkv, blocks\.0\.attn\.out, blocks\.0\.mlp\.up, blocks\.0\.mlp\.down, lm_head\); every other weight is frozen \(freeze: patterns apply on top\): [\d,]+ parameters trainable, [\d,]+ frozen \(\d+ weights\): embed\.tokens\.weight, /);

    // Round trip: the saved adapters are the trained ones, bit for bit; resuming at step 6 ends where the whole run did.
    const step6 = path.join(tmp(), 'lora', 'checkpoints', 'step-000006');
    const saved = await readSafetensorsTensors(path.join(tmp(), 'lora', 'checkpoints', 'step-000012', 'model.safetensors'));
    for (const [name, t] of saved) assert.ok(sameBits((await t.data()) as Float32Array, run.after.get(name)), `${name} saved bit-exact`);
    tf.dispose([...saved.values()]);
    const resumed = await observe(loraRecipe('lora'), { resumeFrom: step6 });
    assert.equal(resumed.result.globalStep, 12);
    for (const [name, end] of run.after) assert.ok(sameBits(end, resumed.after.get(name)), `${name}: resumed run ends bit-identical`);
  });

  it('resuming a plain checkpoint with model.lora added is refused, pointing to a new run from its weights with model.from', async () => {
    const recipe = tinyRecipe(path.join(tmp(), 'base'), { distributed: 'none', trainIters: 8, callbacks: [], checkpoint: [{ type: 'floe' }], model: { ...BASE_MODEL, lora: LORA } });
    const tensors = tf.memory().numTensors;
    await assert.rejects(runJob(recipe, { resumeFrom: baseCheckpoint, logger: new Logger({ sink: () => undefined }) }), (error: Error) => {
      assert.match(error.message, /missing weight 'blocks\.0\.attn\.qkv\.lora_a'/);
      assert.match(error.message, /model\.lora is .* in the recipe but \(unset\) in the checkpoint's recipe\.yaml/);
      assert.ok(error.message.includes(`To fine-tune this checkpoint with LoRA, start a new run from its weights (new adapters and optimizer state, step 0): model.from: ${baseCheckpoint} with model.lora`), error.message);
      return true;
    });
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
  });

  it('floe export writes the merged plain GPT (no lora factors or option), equal to the adapted forward; floe generate runs the LoRA checkpoint', async () => {
    const run = await observe(loraRecipe('lora', { trainIters: 6 }));
    const checkpoint = run.result.lastCheckpointPath as string;
    const exported = path.join(tmp(), 'exported');
    const exportRun = await cli('export', '--checkpoint', checkpoint, '--format', 'safetensors', '--out', exported);
    assert.equal(exportRun.code, 0, exportRun.err.join('\n'));
    const config = JSON.parse(fs.readFileSync(path.join(exported, 'model-config.json'), 'utf8')) as { options: Record<string, unknown> };
    assert.ok(!('lora' in config.options), 'a plain model config');
    const loaded = await loadCheckpointModel(checkpoint);
    const plain = new GptModel(config.options as never, new Rng(0));
    try {
      await loadCheckedWeights(plain.params, exported);
      assert.deepEqual([...plain.params.keys()], [...base.after.keys()], 'the base model names, no lora factors');
      for (const name of ['embed.tokens.weight', 'blocks.0.norm1.weight']) assert.ok(sameBits(((await plain.params.get(name)!.data()) as Float32Array), base.after.get(name)), name);
      const merged = (await plain.params.get('blocks.0.attn.qkv.weight')!.data()) as Float32Array;
      assert.ok(!sameBits(merged, base.after.get('blocks.0.attn.qkv.weight')), 'the adapters are merged in');
      const ids = [[1, 50, 51, 52, 43, 53, 61]];
      const logits = (model: GptModel): Float32Array => tf.tidy(() => model.forward(tf.tensor2d(ids, undefined, 'int32')).dataSync() as Float32Array);
      assertClose(logits(plain), logits(loaded.model as GptModel), 1e-4, 'merged export vs adapters');
    } finally {
      plain.dispose();
      loaded.dispose();
    }
    const graph = await cli('export', '--checkpoint', checkpoint, '--format', 'tfjs', '--out', path.join(tmp(), 'graph'));
    assert.equal(graph.code, 0, graph.err.join('\n'));
    assert.ok(!fs.readFileSync(path.join(tmp(), 'graph', 'model.json'), 'utf8').includes('lora'), 'the tfjs graph is the merged plain GPT');
    const generated = await cli('generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--max-tokens', '4', '--prompt', '12+34=');
    assert.equal(generated.code, 0, generated.err.join('\n'));
    assert.ok(generated.out.length > 0);
  });

  it('freeze patterns apply on top: a frozen lora_a keeps every bit while lora_b trains; freezing every factor is an error', async () => {
    const run = await observe(loraRecipe('lora', { trainIters: 3, freeze: ['*.lora_a'] }));
    for (const [name, start] of run.before) assert.equal(sameBits(start, run.after.get(name)), !name.endsWith('.lora_b'), name);
    await assert.rejects(observe(loraRecipe('all', { freeze: ['*.lora_?'] })), /freeze: matches every LoRA parameter \(blocks\.0\.attn\.qkv\.lora_a, .*\); with model\.lora only those train/);
  });

  it('2 data-parallel workers: the replicas stay bit-identical, only the factors train', async () => {
    const fields = { trainIters: 4, model: { ...BASE_MODEL, lora: LORA } };
    const start = await observe(tinyRecipe(path.join(tmp(), 'init'), { ...fields, distributed: 'none', trainIters: 1 }));
    const out = path.join(tmp(), 'dp');
    const result = await runJob(tinyRecipe(out, { ...fields, distributed: { backend: 'threads', workers: 2 } }), { logger: new Logger({ level: 'warn' }) });
    assert.equal(result.globalStep, 4);
    const [rank0, rank1] = [rankWeights(out, 0), rankWeights(out, 1)];
    assert.ok(rank0.equals(rank1), 'replicas bit-identical');
    let at = 0;
    for (const [name, bits] of start.before) {
      const end = new Float32Array(rank0.buffer.slice(rank0.byteOffset + at, rank0.byteOffset + at + bits.byteLength));
      at += bits.byteLength;
      assert.equal(sameBits(end, bits), !isLora(name), `${name} ${isLora(name) ? 'trained' : 'kept its bits'}`);
    }
    assert.equal(at, rank0.length);
  });

  it('starts from a HuggingFace GPT-2 folder (which has no LoRA factors): step 0 is the GPT-2 forward', async () => {
    const hf = writeTinyGpt2Folder(path.join(tmp(), 'gpt2'));
    const ids = [16, 0, 8, 14, 6, 5, 21, 3];
    let logits: number[][] = [];
    const recipe = {
      ...tinyRecipe(path.join(tmp(), 'hf'), { distributed: 'none', trainIters: 2, callbacks: [], checkpoint: [] }),
      tokenizer: { type: 'hf', path: hf.dir },
      data: { type: 'causal', sources: [{ type: 'synthetic', task: 'reverse', count: 40, output: 'text', alphabet: 'helowrd' }], maxLength: 12, evalGenerations: 0, cache: false },
      type: 'causal',
      model: { type: 'gpt', from: hf.dir, lora: { rank: 2, targets: ['*'] } },
    };
    const run = await runJob(recipe, {
      logger: new Logger({ level: 'warn' }),
      onTrainerReady: (t: Trainer) => {
        logits = tf.tidy(() => ((t.model as unknown as GptModel).forward(tf.tensor2d([ids], undefined, 'int32')).arraySync() as number[][][])[0]);
      },
    });
    assert.equal(run.globalStep, 2);
    const expected = hfGpt2Forward(hf, ids);
    assertClose(logits.flat(), expected.flat(), 1e-4, 'LoRA model at step 0 vs GPT-2');
  });

  it('refuses a target matching no dense layer (model.lora.targets[i], file:line:col, the dense layers) and a bad rank; a plain model from a LoRA checkpoint says how to merge', async () => {
    const file = path.join(tmp(), 'recipe.yaml');
    fs.writeFileSync(file, JSON.stringify(loraRecipe('bad', { model: { type: 'gpt', from: baseCheckpoint, lora: { rank: 2, targets: ['*.attn.qkv', '*.mlp.gate'] } } }), null, 1));
    await assert.rejects(observe(file), (error: Error) => {
      assert.match(error.message, /model\.lora\.targets\[1\]: '\*\.mlp\.gate' matches no dense layer of the model \(.*recipe\.yaml:\d+:\d+\)\. /);
      assert.ok(error.message.includes('the dense layers are: blocks.0.attn.qkv, blocks.0.attn.out, blocks.0.mlp.up, blocks.0.mlp.down, lm_head.'), error.message);
      return true;
    });
    fs.writeFileSync(file, JSON.stringify(loraRecipe('bad', { model: { type: 'gpt', from: baseCheckpoint, lora: { rank: 0, dropout: 2, rnak: 4 } } }), null, 1));
    await assert.rejects(observe(file), (error: Error) => {
      assert.match(error.message, /model\.lora\.rank.*recipe\.yaml:\d+:\d+/);
      assert.match(error.message, /model\.lora\.dropout.*recipe\.yaml:\d+:\d+/);
      assert.match(error.message, /model\.lora\.rnak.*Did you mean 'rank'/);
      return true;
    });
    const lora = await observe(loraRecipe('lora', { trainIters: 2 }));
    await assert.rejects(
      observe(loraRecipe('plain', { model: { type: 'gpt', from: lora.result.lastCheckpointPath } })),
      /unexpected weight 'blocks\.0\.attn\.qkv\.lora_a' \(not in the model\).*It holds LoRA factors \(\*\.lora_a, \*\.lora_b\) the model lacks: set model\.lora as in the run that wrote it, or 'floe export' it first/,
    );
  });
});
