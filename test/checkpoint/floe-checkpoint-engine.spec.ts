import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { findCheckpoints, loadCheckpointModel, readTrainerStateFile } from '../../src/checkpoint';
import { CheckpointError } from '../../src/errors';
import { parseSafetensorsBytes } from './fixtures/parse-safetensors-bytes';
import { fileBytes, runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

function steps(root: string): number[] {
  return fs.existsSync(root) ? fs.readdirSync(root).filter((n) => /^step-\d+$/.test(n)).map((n) => Number(n.slice(5))).sort((a, b) => a - b) : [];
}

async function rejectsNaming(run: Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(run, (error: Error) => {
    assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${error.name}: ${error.message}`);
    for (const p of parts) assert.ok(error.message.includes(p), `message should name '${p}': ${error.message}`);
    return true;
  });
}

describe('FloeCheckpointEngine', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-engine-')));
  afterEach(() => cleanup());

  describe('a saved checkpoint', () => {
    let run: string;
    let ckpt: string;
    let lossAt10: number | undefined;
    beforeEach(async () => {
      run = path.join(dir, 'run');
      const recorded = await runRecorded(tinyGptRecipe(run, { trainIters: 10, checkpoint: [{ type: 'floe', saveEveryNSteps: 5 }] }));
      lossAt10 = recorded.losses.get(10);
      ckpt = path.join(run, 'checkpoints', 'step-000010');
    });

    it('holds weights, optimizer state, trainer state, recipe, architecture and a manifest of checksums', async () => {
      assert.deepEqual(steps(path.join(run, 'checkpoints')), [5, 10]);
      assert.deepEqual(fs.readdirSync(ckpt).sort(), ['manifest.json', 'model-config.json', 'model.safetensors', 'optimizer.safetensors', 'recipe.yaml', 'tokenizer-identity.json', 'trainer-state.json']);
      const { state, scheduler, metrics, recipeDir } = await readTrainerStateFile(ckpt);
      assert.equal(state.globalStep, 10);
      assert.equal(state.epochIndex, 0);
      assert.equal(state.batchInEpoch, 10, 'position in the epoch order: 10 of 11 micro-batches consumed');
      assert.equal(state.rng.s.length, 4);
      assert.deepEqual(scheduler, { step: 10, lastLr: metrics.lr });
      assert.equal(metrics.loss, lossAt10);
      assert.equal(recipeDir, process.cwd());
      const recipe = parseYaml(fs.readFileSync(path.join(ckpt, 'recipe.yaml'), 'utf8'));
      assert.equal(recipe.model.dim, 16);
      assert.equal(recipe.seed, 7);
      const modelConfig = JSON.parse(fs.readFileSync(path.join(ckpt, 'model-config.json'), 'utf8'));
      assert.equal(modelConfig.type, 'gpt');
      assert.equal(modelConfig.options.vocabSize, 22);
      const manifest = JSON.parse(fs.readFileSync(path.join(ckpt, 'manifest.json'), 'utf8'));
      for (const entry of manifest.files) {
        const bytes = fileBytes(ckpt, entry.path);
        assert.equal(entry.size, bytes.length);
        assert.equal(entry.sha256, createHash('sha256').update(bytes).digest('hex'), entry.path);
      }
      assert.equal(manifest.files.length, 6);
    });

    it('writes model.safetensors and optimizer.safetensors by the spec, with the model\'s names and values', async () => {
      const model = parseSafetensorsBytes(fileBytes(ckpt, 'model.safetensors'));
      assert.equal(model.headerLength % 8, 0, 'Floe aligns the data section to 8 bytes');
      assert.deepEqual(model.metadata, { format: 'floe', step: '10' });
      const names = [...model.tensors.keys()];
      assert.deepEqual(names, [...names].sort(), 'header lists tensors by name');
      const byOffset = [...model.tensors.entries()].sort((a, b) => a[1].offsets[0] - b[1].offsets[0]).map(([n]) => n);
      assert.deepEqual(byOffset, [...names].sort(), 'data laid out by name');
      assert.deepEqual(model.tensors.get('embed.tokens.weight')?.shape, [22, 16]);
      assert.deepEqual(model.tensors.get('blocks.0.attn.qkv.weight')?.shape, [16, 48]);
      assert.deepEqual(model.tensors.get('blocks.0.mlp.down.weight')?.shape, [64, 16]);

      const loaded = await loadCheckpointModel(ckpt);
      try {
        assert.deepEqual(names, [...loaded.model.params.keys()].sort());
        for (const [name, v] of loaded.model.params) assert.deepEqual(model.tensors.get(name)?.values, [...(await v.data())], name);
      } finally {
        loaded.dispose();
      }

      const optimizer = parseSafetensorsBytes(fileBytes(ckpt, 'optimizer.safetensors'));
      assert.deepEqual(optimizer.tensors.get('step'), { dtype: 'I32', shape: [], offsets: optimizer.tensors.get('step')?.offsets, values: [10] });
      for (const name of names) {
        for (const slot of ['m', 'v']) assert.deepEqual(optimizer.tensors.get(`${name}/${slot}`)?.shape, model.tensors.get(name)?.shape, `${name}/${slot}`);
      }
      assert.equal(optimizer.tensors.size, 1 + 2 * names.length);
    });

    it('refuses a flipped byte, naming the file and the checksum mismatch', async () => {
      const file = path.join(ckpt, 'model.safetensors');
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 3] ^= 0x01;
      fs.writeFileSync(file, bytes);
      await rejectsNaming(runRecorded(tinyGptRecipe(run, { trainIters: 12 }), { resumeFrom: ckpt }), 'model.safetensors', 'sha256 mismatch', ckpt);
    });

    it('refuses a truncated file and a missing file, naming each', async () => {
      const optimizer = path.join(ckpt, 'optimizer.safetensors');
      fs.truncateSync(optimizer, fs.statSync(optimizer).size - 100);
      fs.rmSync(path.join(ckpt, 'trainer-state.json'));
      await rejectsNaming(runRecorded(tinyGptRecipe(run, { trainIters: 12 }), { resumeFrom: ckpt }), "'optimizer.safetensors': size is", "'trainer-state.json': file is missing");
    });

    it('autoResume never falls back silently: a corrupted newest checkpoint is an error', async () => {
      fs.appendFileSync(path.join(ckpt, 'recipe.yaml'), '# edited\n');
      const checkpoint = [{ type: 'floe', saveEveryNSteps: 5, autoResume: true }];
      await rejectsNaming(runRecorded(tinyGptRecipe(run, { trainIters: 12, checkpoint })), 'recipe.yaml', 'step-000010');
      // The error shows the way back: the complete checkpoint before it (as do --resume and generate/export of the run folder).
      const way = `The newest checkpoint before it is ${path.join(run, 'checkpoints', 'step-000005')}: pass that folder to use it instead`;
      await rejectsNaming(runRecorded(tinyGptRecipe(run, { trainIters: 12, checkpoint })), way);
      await rejectsNaming(loadCheckpointModel(run), way);
    });
  });

  it('keepLast keeps the newest N, keepBest also the best by its metric (recorded as bestMetric)', async () => {
    const run = path.join(dir, 'run');
    const checkpoint = [{ type: 'floe', saveEveryNSteps: 2, keepLast: 2, keepBest: { metric: 'eval/loss', mode: 'max' } }];
    const recorded = await runRecorded(tinyGptRecipe(run, { trainIters: 12, evalInterval: 2, evalMaxBatches: 1, checkpoint }));
    const evalLoss = [...recorded.evals].map(([step, m]) => [step, m['eval/loss']] as const);
    const [worstStep, worst] = evalLoss.reduce((a, b) => (b[1] > a[1] ? b : a));
    assert.deepEqual(steps(path.join(run, 'checkpoints')), [...new Set([worstStep, 10, 12])].sort((a, b) => a - b));
    assert.ok(worstStep < 10, `the eval loss should peak early, peaked at step ${worstStep}`);
    assert.equal((await readTrainerStateFile(path.join(run, 'checkpoints', 'step-000012'))).state.bestMetric, worst);
  });

  it('saves every N epochs and once at the end, never twice for one step', async () => {
    const run = path.join(dir, 'run');
    const checkpoint = [{ type: 'floe', saveEveryNEpochs: 1, saveEndOfTraining: true }];
    const recorded = await runRecorded(tinyGptRecipe(run, { trainIters: undefined, epochs: 2, checkpoint }));
    assert.equal(recorded.result.globalStep, 22);
    assert.deepEqual(steps(path.join(run, 'checkpoints')), [11, 22]);
    assert.equal((await readTrainerStateFile(path.join(run, 'checkpoints', 'step-000011'))).state.batchInEpoch, 11);

    const none = path.join(dir, 'none');
    await runRecorded(tinyGptRecipe(none, { trainIters: 3, checkpoint: [{ type: 'floe', saveEndOfTraining: false }] }));
    assert.deepEqual(await findCheckpoints(path.join(none, 'checkpoints')), []);
  });

  it('a resumed run saving a step that exists replaces that checkpoint whole', async () => {
    const run = path.join(dir, 'run');
    const checkpoint = [{ type: 'floe', saveEveryNSteps: 2 }];
    await runRecorded(tinyGptRecipe(run, { trainIters: 4, checkpoint }));
    const first = fileBytes(path.join(run, 'checkpoints', 'step-000004'), 'model.safetensors');
    // Resumed from step 2 with another learning rate: step 4 is written again, differently.
    await runRecorded(tinyGptRecipe(run, { trainIters: 4, checkpoint, optimizer: { type: 'adamw', lr: 0.05 } }), { resumeFrom: path.join(run, 'checkpoints', 'step-000002') });
    const ckpt = path.join(run, 'checkpoints', 'step-000004');
    assert.ok(!fileBytes(ckpt, 'model.safetensors').equals(first));
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), ['step-000002', 'step-000004']);
    assert.equal((await readTrainerStateFile(ckpt)).state.globalStep, 4);
  });
});
