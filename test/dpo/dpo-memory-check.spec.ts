import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DPOTrainer, evaluateJob, Logger, runJob, TrainerConfig } from '../../src';
import { initBackend } from '../../src/backend/init-backend';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { dpoRecipe } from './dpo-recipe';
import { checkGptRunMemory, estimateGptActivations, estimateGptMemory, GptOptions, optimizerStateSlots, resolveGptOptions } from '../../src/model';

/** vocab 10, dim 4, 1 layer, 2 heads, ffn 8, GELU: 244 parameters (as the estimate specs' TINY). */
const TINY: GptOptions = { vocabSize: 10, maxLength: 6, layers: 1, heads: 2, dim: 4, ffnDim: 8 };
const LORA: GptOptions = { ...TINY, lora: { rank: 2, alpha: 4, targets: ['*.attn.*'] } };
const run = { freeze: [], optimizer: { type: 'adamw' }, backend: 'wasm', path: 'model', fusedAttention: true, microBatchSize: 2, dataMaxLength: 6, inference: false };

/** The `dpo` trainer's needs for a recipe with or without `model.lora`. */
function dpoNeeds(lora: boolean): ReturnType<typeof DPOTrainer.memoryNeeds> {
  return DPOTrainer.memoryNeeds({ model: { type: 'gpt', ...(lora ? { lora: {} } : {}) } } as unknown as TrainerConfig);
}

/** Bytes the check must count: weights, gradients, AdamW, the copy, and the larger of the policy step's and the reference forward's activations over 2B rows. */
function expectedBytes(options: GptOptions, copy: boolean): number {
  const model = resolveGptOptions(options);
  const e = estimateGptMemory({ model, freeze: [], optimizer: optimizerStateSlots({ type: 'adamw' }) });
  const shape = { model, batch: 2 * run.microBatchSize, length: 6, fusedAttention: true };
  const act = Math.max(estimateGptActivations({ ...shape, mode: 'training' }).bytes, estimateGptActivations({ ...shape, mode: 'inference' }).bytes);
  return e.totalBytes + (copy ? e.weightBytes : 0) + act;
}

describe('DPOTrainer memory check', () => {
  it('counts 2 rows per pair and, without LoRA, the reference copy of the weights: refused one byte below the sum, with the copy named and LoRA advised', () => {
    const needs = dpoNeeds(false);
    const total = expectedBytes(TINY, true);
    const model = resolveGptOptions(TINY);
    // The same recipe as a causal run fits with room to spare: what DPO adds is what tips it.
    assert.equal(checkGptRunMemory({ ...run, model, limitBytes: total - 1 }), undefined);
    assert.match(checkGptRunMemory({ ...run, model, limitBytes: total, needs }) ?? '', /100% of the wasm backend's/);
    assert.throws(
      () => checkGptRunMemory({ ...run, model, limitBytes: total - 1, needs }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError, error.message);
        const issue = error.issues[0];
        assert.equal(issue.path, 'microBatchSize');
        // 244 float32 weights: a second 976 bytes (1.0 KiB) for the reference; 2 pairs of 6 tokens are 24 rows.
        assert.match(issue.message, /optimizer state 1\.9 KiB \(adamw: 2 moments\) \+ dpo's reference model \(a frozen copy of the initial weights\) 1\.0 KiB; activations of one micro-batch \(24 token rows, 2 per pair: dpo's chosen and rejected rows\)/);
        assert.match(issue.hint ?? '', /^Add model\.lora: it makes dpo's reference model free .*\. Else: Lower microBatchSize/);
        return true;
      },
    );
  });

  it('advises LoRA last, with what it saves, when dropping the reference copy alone would not make the run fit', () => {
    const model = resolveGptOptions(TINY);
    const e = estimateGptMemory({ model, freeze: [], optimizer: optimizerStateSlots({ type: 'adamw' }) });
    // Short by more than the copy (976 bytes): the micro-batch is the knob, not the reference.
    assert.throws(() => checkGptRunMemory({ ...run, model, limitBytes: expectedBytes(TINY, true) - e.weightBytes - 1, needs: dpoNeeds(false) }), (error: ConfigError) => {
      assert.match(error.issues[0].hint ?? '', /^Lower microBatchSize .*\. Add model\.lora: it makes dpo's reference model free .*, 1\.0 KiB less: not enough alone\.$/);
      return true;
    });
  });

  it('with LoRA counts no copy (the base weights serve as the reference) but still 2 rows per pair', () => {
    const needs = dpoNeeds(true);
    assert.equal(needs.weightCopy, undefined);
    const total = expectedBytes(LORA, false);
    const model = resolveGptOptions(LORA);
    assert.equal(checkGptRunMemory({ ...run, model, limitBytes: total - 1 }), undefined);
    assert.throws(() => checkGptRunMemory({ ...run, model, limitBytes: total - 1, needs }), (error: ConfigError) => {
      assert.doesNotMatch(error.issues[0].message, /reference model/);
      assert.match(error.issues[0].message, /24 token rows, 2 per pair/);
      return true;
    });
    assert.ok(checkGptRunMemory({ ...run, model, limitBytes: total, needs }) !== undefined);
  });

  it("takes the reference forward's peak when it is the larger: it ends before the policy forward starts, so the two are not added", () => {
    // 4 blocks of dim 16: an inference forward keeps more (no gradient credit) than the training step.
    const model = resolveGptOptions({ ...TINY, layers: 4, dim: 16, ffnDim: 64 });
    const shape = { model, batch: 4, length: 6, fusedAttention: true };
    const training = estimateGptActivations({ ...shape, mode: 'training' }).bytes;
    const inference = estimateGptActivations({ ...shape, mode: 'inference' }).bytes;
    assert.ok(inference > training, `${inference} > ${training}`);
    const e = estimateGptMemory({ model, freeze: [], optimizer: optimizerStateSlots({ type: 'adamw' }) });
    const needs = dpoNeeds(true);
    assert.ok(checkGptRunMemory({ ...run, model, limitBytes: e.totalBytes + inference, needs }) !== undefined);
    assert.throws(() => checkGptRunMemory({ ...run, model, limitBytes: e.totalBytes + inference - 1, needs }), (error: ConfigError) => {
      assert.match(error.issues[0].message, /\(24 token rows, 2 per pair: dpo's chosen and rejected rows; the peak is dpo's reference's forward\)/);
      return true;
    });
  });

  it("is what the GPT factory asks the trainer's class before building the model (a run on wasm is refused with the trainer's figures)", async () => {
    const original = DPOTrainer.memoryNeeds;
    // The real needs with rows scaled past any memory: only a factory that asks the trainer refuses.
    DPOTrainer.memoryNeeds = (config) => ({ ...original(config), rowsPerSample: { factor: 1e7, note: 'scaled by the spec' } });
    try {
      const recipe = dpoRecipe({ outputDir: path.join(os.tmpdir(), 'floe-dpo-memory-never-written'), backend: 'wasm' });
      await assert.rejects(runJob(recipe, { logger: new Logger({ sink: () => undefined }) }), (error: Error) => {
        assert.ok(error instanceof ConfigError, error.message);
        assert.equal(error.issues[0].path, 'microBatchSize');
        assert.match(error.issues[0].message, /dpo's reference model \(a frozen copy of the initial weights\) .*token rows, scaled by the spec\)/);
        return true;
      });
    } finally {
      DPOTrainer.memoryNeeds = original;
    }
  });

  it('floe generate and export of a checkpoint without LoRA neither build nor count the reference copy; floe evaluate (which uses it) still counts it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dpo-generate-memory-'));
    const original = DPOTrainer.memoryNeeds;
    const quiet = { logger: new Logger({ sink: () => undefined }) };
    try {
      const recipe = dpoRecipe({ outputDir: path.join(dir, 'run'), extra: { checkpoint: [{ type: 'floe' }] }, data: { trainEvalSplit: [0.8, 0.2] } });
      await runJob(recipe, quiet);
      const checkpoint = path.join(dir, 'run', 'checkpoints', 'step-000001');
      // The trainer's needs scaled past any memory: a check that asks the trainer refuses on wasm.
      let asked = 0;
      DPOTrainer.memoryNeeds = (config) => {
        asked++;
        return { ...original(config), rowsPerSample: { factor: 1e7, note: 'scaled by the spec' } };
      };
      await initBackend({ name: 'wasm' });
      const before = tf.memory().numTensors;
      const loaded = await loadCheckpointModel(checkpoint, quiet);
      try {
        assert.equal(asked, 0, 'the model-only load does not ask for the trainer\'s needs');
        assert.equal((loaded.trainer as DPOTrainer).reference, undefined);
        // The model's weights and nothing else: no frozen copy of them.
        assert.equal(tf.memory().numTensors - before, loaded.model.params.size);
      } finally {
        loaded.dispose();
      }
      assert.equal(tf.memory().numTensors, before);
      await assert.rejects(evaluateJob({ ...recipe, backend: 'wasm' }, { checkpoint: path.join(dir, 'run'), ...quiet }), (error: ConfigError) => {
        assert.equal(error.issues?.[0].path, 'microBatchSize');
        assert.match(error.issues[0].message, /dpo's reference model \(a frozen copy of the initial weights\)/);
        return true;
      });
      assert.ok(asked > 0);
    } finally {
      DPOTrainer.memoryNeeds = original;
      await tf.setBackend('cpu');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
