import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, evaluateJob, Logger } from '../../src';
import { initBackend } from '../../src/backend/init-backend';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { checkGptRunMemory, estimateGptActivations, GptOptions, resolveGptOptions } from '../../src/model';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';

/** vocab 10, dim 4, 1 layer, 2 heads, ffn 8, GELU, layernorm, tied: 244 parameters (72 outside the block). */
const TINY: GptOptions = { vocabSize: 10, maxLength: 6, layers: 1, heads: 2, dim: 4, ffnDim: 8 };

describe('estimateGptActivations', () => {
  it('counts a GELU model by hand (2 rows of 6 tokens, fused attention)', () => {
    // Per row: block 6·4 + 2·8 ffn + 1.1·2 heads·6 = 53.2, head 2.2·10 vocab + 11.5·4 = 68; 12 rows. Per
    // parameter −0.5 (half the gradients are not there yet at the peak) and the head's copy 10·4:
    // −122 + 40 = −82. 12·(53.2 + 68) − 82 = 1372.4 floats → 5,490 bytes.
    const plain = estimateGptActivations({ model: resolveGptOptions(TINY), batch: 2, length: 6, fusedAttention: true, mode: 'training' });
    assert.deepEqual(plain, { bytes: 5_490, checkpointedBytes: 5_194, rows: 12 });
    // Checkpointed: block input 4 + one block 53.2 + 0.75 of the head 51 = 108.2 per row, no negative credit:
    // 12·108.2 = 1298.4 floats → 5,194 bytes.
    const checkpointed = estimateGptActivations({ model: resolveGptOptions({ ...TINY, activationCheckpointing: true }), batch: 2, length: 6, fusedAttention: true, mode: 'training' });
    assert.equal(checkpointed.bytes, 5_194);
    // Inference: block 10·4 + 2·8 + 0.1·12 = 57.2, head 1·10 + 3.25·4 = 23, 0.05·244 = 12.2: 12·80.2 + 12.2 = 974.6 → 3,899 bytes.
    assert.equal(estimateGptActivations({ model: resolveGptOptions(TINY), batch: 2, length: 6, fusedAttention: true, mode: 'inference' }).bytes, 3_899);
  });

  it('counts a Llama model with grouped-query attention and dropout by hand (unfused attention)', () => {
    // dim 8, 4 heads (head size 2), 2 key/value heads, ffn 16, 2 layers, vocab 20, untied, no biases:
    // 160 tokens + 160 lm_head + 8 norm + 2 × (8 + 8·16 qkv + 64 out + 8 + 3·128 MLP) = 1512 parameters.
    const model = resolveGptOptions({ vocabSize: 20, maxLength: 4, layers: 2, heads: 4, kvHeads: 2, dim: 8, ffnDim: 16, dropout: 0.1, norm: 'rmsnorm', position: 'rope', activation: 'swiglu', bias: false, tieEmbeddings: false });
    // Per row: block 6·8 + 4.75·16 + 2.5·4·4 (unfused scores) + 7·8 (unfused q/k/v) + 9·8 + 3.75·4·4 (dropout) = 352,
    // head 2.2·20 + 11.5·8 = 136; 4 rows; −0.5·1512 + 20·8 = −596. 4·(2·352 + 136) − 596 = 2764 floats → 11,056 bytes.
    assert.equal(estimateGptActivations({ model, batch: 1, length: 4, fusedAttention: true, mode: 'training' }).bytes, 11_056);
    // Without the native kernel the same (it ran unfused anyway); the fused kernel needs kvHeads = heads.
    assert.equal(estimateGptActivations({ model, batch: 1, length: 4, fusedAttention: false, mode: 'training' }).bytes, 11_056);
  });
});

describe('estimateGptActivations with headDim and qkNorm (Qwen3)', () => {
  it('counts the q/k/v width beyond dim and the per-head norms by hand', () => {
    // TINY with head size 4 instead of 4 / 2: q, k, v are (2 + 2·2)·(4 − 2) = 12 wider (9 each), the q/k norms
    // 1.5·(2 + 2)·4 = 24; block 53.2 + 108 + 24 = 185.2, head 68. 328 parameters (qkv 4·24 + 24, out 8·4 + 4,
    // norms 2·4 in place of 60 + 20): −0.5·328 + 40 = −124. 12·(185.2 + 68) − 124 = 2914.4 floats → 11,658 bytes.
    const model = resolveGptOptions({ ...TINY, headDim: 4, qkNorm: true });
    assert.equal(estimateGptActivations({ model, batch: 2, length: 6, fusedAttention: true, mode: 'training' }).bytes, 11_658);
  });
});

describe('checkGptRunMemory', () => {
  const run = { freeze: [], optimizer: { type: 'adamw' }, backend: 'wasm', path: 'model', fusedAttention: true };

  it('refuses activations past the limit at microBatchSize, with the breakdown and what to do', () => {
    // Weights, gradients and AdamW 3,904 bytes (fit 7,000); + 5,490 bytes of activations = 9,394.
    assert.throws(
      () => checkGptRunMemory({ ...run, model: resolveGptOptions(TINY), microBatchSize: 2, dataMaxLength: 6, inference: false, limitBytes: 7_000 }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError, error.message);
        const issue = error.issues[0];
        assert.equal(issue.path, 'microBatchSize');
        assert.match(issue.message, /^does not fit the wasm backend: 244 parameters \(244 trainable\) need at least 3\.8 KiB before activations: .*; activations of one micro-batch \(12 token rows\) 5\.4 KiB: 9\.2 KiB in all, but .* at most 6\.8 KiB$/);
        // Neither microBatchSize 1 (3,904 + 976 accumulated + 2,581 = 7,461) nor checkpointing (9,098) fits: no size said, checkpointing last.
        assert.match(issue.hint ?? '', /^Lower microBatchSize \(raise gradientAccumulationSteps to keep the global batch\), use a shorter data\.maxLength, or: Train fewer weights/);
        assert.match(issue.hint ?? '', /backend: tensorflow .*\. model\.activationCheckpointing: true \(activations 5\.4 KiB -> about 5\.1 KiB\), 0\.3 KiB less: not enough alone\.$/);
        return true;
      },
    );
  });

  it('says the largest microBatchSize that fits, and offers activationCheckpointing last when it alone is not enough', () => {
    // Activations 2,909 bytes per row of 6 tokens (22,943 at 8): + 3,904 + 976 (the gradients twice, accumulating
    // to keep the global batch) = 13,279 at 3, 16,188 at 4. Checkpointing alone: 20,775 + 3,904 = 24,679.
    const options = { ...run, model: resolveGptOptions(TINY), microBatchSize: 8, dataMaxLength: 6, inference: false, limitBytes: 16_000 };
    assert.throws(
      () => checkGptRunMemory(options),
      (error: ConfigError) => {
        const hint = error.issues[0].hint ?? '';
        assert.match(hint, /^Lower microBatchSize to 3 \(raise gradientAccumulationSteps to keep the global batch\), use a shorter data\.maxLength, or: Train fewer weights/);
        assert.match(hint, /\. model\.activationCheckpointing: true \(activations 22\.4 KiB -> about 20\.3 KiB\), 2\.1 KiB less: not enough alone\.$/);
        return true;
      },
    );
    // The size said fits with the accumulation that keeps the batch; one more does not.
    assert.doesNotThrow(() => checkGptRunMemory({ ...options, microBatchSize: 3, gradientAccumulationSteps: 3 }));
    assert.throws(() => checkGptRunMemory({ ...options, microBatchSize: 4, gradientAccumulationSteps: 2 }), ConfigError);
  });

  it('counts the gradients twice when accumulating: the sums are held while the next micro-batch makes its own', () => {
    // 3,904 + 976 more gradient bytes + 5,490 of activations = 10,370: refused at 10,000, which 9,394 fits.
    const options = { ...run, model: resolveGptOptions(TINY), microBatchSize: 2, dataMaxLength: 6, inference: false, limitBytes: 10_000 };
    assert.match(checkGptRunMemory(options) ?? '', /^microBatchSize: .*9\.2 KiB in all, 94% of/);
    assert.throws(() => checkGptRunMemory({ ...options, gradientAccumulationSteps: 2 }), /need at least 4\.8 KiB before activations: weights 1\.0 KiB \(float32\) \+ gradients 1\.9 KiB \(twice: the accumulated sums and a micro-batch's\) \+ optimizer state 1\.9 KiB .*: 10\.1 KiB in all/);
  });

  it('refuses at the model path when the weights alone do not fit', () => {
    assert.throws(() => checkGptRunMemory({ ...run, model: resolveGptOptions(TINY), microBatchSize: 2, inference: false, limitBytes: 3_000 }), (error: ConfigError) => error.issues[0].path === 'model');
  });

  it('lets a run that fits only with activationCheckpointing through with it on', () => {
    // 6 layers, T 64: the blocks' activations dominate. 608 parameters outside the blocks (tokens 80, positions
    // 512, norm 16) + 6 × 600 = 4,208; × 16 bytes (weights, gradients, AdamW) = 67,328 bytes. Per row: block
    // 6·8 + 2·16 + 1.1·2·64 = 220.8, head 2.2·10 + 11.5·8 = 114; 128 rows. Plain: 128·(6·220.8 + 114) − 0.5·4,208
    // + 10·8 = 182,142.4 floats = 728,570 bytes; checkpointed: 128·(6·8 + 220.8 + 0.75·114) = 45,350.4 floats =
    // 181,402 bytes. A limit of 400,000 takes the second only (248,730 bytes in all, 62%).
    const options: GptOptions = { vocabSize: 10, maxLength: 64, layers: 6, heads: 2, dim: 8, ffnDim: 16 };
    const plain = { ...run, model: resolveGptOptions(options), microBatchSize: 2, inference: false, limitBytes: 400_000 };
    assert.throws(() => checkGptRunMemory(plain), /activationCheckpointing: true \(activations 711\.5 KiB -> about 177\.2 KiB\)/);
    const checkpointed = { ...plain, model: resolveGptOptions({ ...options, activationCheckpointing: true }) };
    assert.equal(checkGptRunMemory(checkpointed), undefined);
    // Above 75% it warns, without suggesting what is already on.
    const warning = checkGptRunMemory({ ...checkpointed, limitBytes: 320_000 });
    assert.match(warning ?? '', /^microBatchSize: .*: 242\.9 KiB in all, 78% of the wasm backend's 312\.5 KiB memory\. Lower microBatchSize .*use a shorter data\.maxLength, or: Train fewer weights/);
  });

  it('counts no gradients, optimizer state or backward pass for a model built to run', () => {
    const options = { ...run, model: resolveGptOptions(TINY), microBatchSize: 2, limitBytes: 7_000 };
    assert.throws(() => checkGptRunMemory({ ...options, inference: false }), ConfigError);
    // Weights 976 + inference activations 3,899 = 4,875 bytes: 70% of 7,000, no warning.
    assert.equal(checkGptRunMemory({ ...options, inference: true }), undefined);
  });

  it('advises a model built to run without training remedies (LoRA, freeze and accumulation save nothing there)', () => {
    // Weights 976 + inference activations 3,899 = 4,875 bytes: past 4,000.
    const options = { ...run, model: resolveGptOptions(TINY), microBatchSize: 2, dataMaxLength: 6, inference: true, limitBytes: 4_000 };
    assert.throws(
      () => checkGptRunMemory(options),
      (error: ConfigError) => {
        assert.equal(error.issues[0].path, 'microBatchSize');
        const hint = error.issues[0].hint ?? '';
        assert.match(hint, /^Lower microBatchSize to 1, use a shorter data\.maxLength, or: Use a smaller model, or the tensorflow backend after npm install @tensorflow\/tfjs-node \(backend: tensorflow in the recipe, --backend tensorflow for floe generate; native memory, no such cap\)\.$/);
        assert.doesNotMatch(hint, /gradientAccumulationSteps|Train fewer weights|lora|freeze|activationCheckpointing/);
        return true;
      },
    );
  });

  it('refuses floe generate and export (one row, fixed by the command) at the model, not microBatchSize, and does not advise lowering it', () => {
    const model = resolveGptOptions(TINY);
    // Weights 976 + one 6-token row's inference activations: past the limit by one byte.
    const oneRow = estimateGptActivations({ model, batch: 1, length: 6, fusedAttention: true, mode: 'inference' }).bytes;
    const options = { ...run, model, microBatchSize: 64, dataMaxLength: 6, inference: true, inferenceRows: 1, path: 'model.from', limitBytes: 976 + oneRow - 1 };
    assert.throws(
      () => checkGptRunMemory(options),
      (error: ConfigError) => {
        const issue = error.issues[0];
        assert.equal(issue.path, 'model.from');
        assert.match(issue.message, /activations of one forward \(6 token rows\)/);
        assert.match(issue.hint ?? '', /^Use a smaller model, or the tensorflow backend after npm install @tensorflow\/tfjs-node/);
        assert.doesNotMatch(issue.hint ?? '', /microBatchSize|data\.maxLength/);
        return true;
      },
    );
    // The near-miss warning is located and worded alike.
    const warning = checkGptRunMemory({ ...options, limitBytes: 976 + oneRow }) ?? '';
    assert.match(warning, /^model\.from: .*100% of the wasm backend's/);
    assert.doesNotMatch(warning, /microBatchSize/);
  });
});

describe('floe evaluate and the wasm memory check', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await makeTempDir('floe-evaluate-memory-')));
  after(() => cleanup());

  it('is not refused for the training memory it does not use', async () => {
    const runDir = path.join(dir, 'run');
    const recipe = tinyGptRecipe(runDir, { trainIters: 2, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] });
    await runRecorded(recipe);
    // 100,000 rows of 16 tokens: about 5.4 GiB of training activations on wasm (refused), 2.2 GiB to evaluate
    // (the eval split's few records make one small batch: nothing that big is allocated).
    const big = { ...recipe, backend: 'wasm', microBatchSize: 100_000 };
    await assert.rejects(runRecorded({ ...big, outputDir: path.join(dir, 'train-big') }), (error: ConfigError) => error.issues?.[0].path === 'microBatchSize');
    const before = tf.memory().numTensors;
    const result = await evaluateJob(big, { checkpoint: runDir, logger: new Logger({ sink: () => undefined }) });
    assert.ok(Number.isFinite(result.metrics['eval/loss']), JSON.stringify(result.metrics));
    assert.equal(tf.memory().numTensors, before);
  });

  it('floe generate and export count one row, not the recipe microBatchSize (a run trained off wasm loads on it)', async () => {
    // Trained on cpu (no wasm check) with rows that would need ~4.5 GiB for one inference forward of
    // the whole micro-batch on wasm; generate decodes one prompt at a time, export runs no forward.
    const runDir = path.join(dir, 'big-batch');
    await runRecorded(tinyGptRecipe(runDir, { trainIters: 2, microBatchSize: 200_000, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] }));
    await initBackend({ name: 'wasm' });
    const before = tf.memory().numTensors;
    const loaded = await loadCheckpointModel(path.join(runDir, 'checkpoints', 'step-000002'), { logger: new Logger({ sink: () => undefined }) });
    loaded.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
