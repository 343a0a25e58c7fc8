import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { LanguageModelTrainer, validateRecipe } from '../../src';
import { readSafetensorsTensors } from '../../src/checkpoint/formats/read-safetensors-tensors';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { loadCheckpointModel } from '../../src/checkpoint/load-checkpoint-model';
import { GptModel } from '../../src/model';
import { fileBytes, RecordedRun, runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { expectConfigError, useRecipeDir } from '../config/recipe-dir';

const GQA_MODEL = { type: 'gpt', layers: 1, heads: 4, kvHeads: 2, dim: 16, maxLength: 16, dropout: 0.1 };

function mean(run: RecordedRun, from: number, to: number): number {
  let sum = 0;
  for (let s = from; s <= to; s++) sum += run.losses.get(s) as number;
  return sum / (to - from + 1);
}

function modelConfig(checkpoint: string): Record<string, unknown> {
  return (JSON.parse(fs.readFileSync(path.join(checkpoint, 'model-config.json'), 'utf8')) as { options: Record<string, unknown> }).options;
}

describe('model.kvHeads in recipes, runs and checkpoints', () => {
  describe('validation', () => {
    const recipes = useRecipeDir();

    it('reports kvHeads not dividing heads at model.kvHeads with file:line:col, listing the choices', async () => {
      const r = recipes();
      const file = r.write('recipe.yaml', ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'model:', '  type: gpt', '  heads: 4', '  kvHeads: 3', '  dim: 16', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(file));
      assert.equal(
        error.message,
        `Invalid recipe: model.kvHeads: 3 key/value heads do not divide heads 4 (each key/value head serves an equal group of query heads): choose kvHeads among 1, 2, 4 (${r.at('recipe.yaml', 6, 12)})`,
      );
      const zero = await expectConfigError(validateRecipe(file, { overrides: ['model.kvHeads=0'] }));
      assert.deepEqual(zero.issues.map((i) => i.path), ['model.kvHeads']);
      await validateRecipe(file, { overrides: ['model.kvHeads=2'] });
      // With `from`, the source's architecture decides (checked when it is read).
      await validateRecipe(file, { overrides: ['model.from=pretrained'] });
    });
  });

  describe('runs', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-gqa-')));
    afterEach(() => cleanup());

    it('trains (the loss falls), checkpoints kvHeads and the narrower qkv, resumes bit-exactly and loads back bit for bit', async () => {
      const before = tf.memory().numTensors;
      const recipe = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
        tinyGptRecipe(path.join(dir, name), { model: GQA_MODEL, trainIters: 20, ...extra });
      const full = await runRecorded(recipe('full'));
      assert.ok(mean(full, 16, 20) < mean(full, 1, 5) - 0.15, `loss ${mean(full, 1, 5)} → ${mean(full, 16, 20)}`);
      const step20 = path.join(dir, 'full', 'checkpoints', 'step-000020');
      assert.equal(modelConfig(step20).kvHeads, 2);
      const saved = await readSafetensorsTensors(path.join(step20, 'model.safetensors'));
      assert.deepEqual(saved.get('blocks.0.attn.qkv.weight')?.shape, [16, 16 + 2 * 2 * 4]);

      await runRecorded(recipe('resumed', { exitIteration: 10 }));
      const second = await runRecorded(recipe('resumed'), { resumeFrom: path.join(dir, 'resumed') });
      assert.equal(second.result.globalStep, 20);
      assert.deepEqual([16, 17, 18, 19, 20].map((s) => second.losses.get(s)), [16, 17, 18, 19, 20].map((s) => full.losses.get(s)));
      assert.ok(fileBytes(step20, 'model.safetensors').equals(fileBytes(path.join(dir, 'resumed', 'checkpoints', 'step-000020'), 'model.safetensors')), 'resumed weights differ');

      const loaded = await loadCheckpointModel(step20);
      try {
        const model = loaded.model as GptModel;
        assert.equal(model.options.kvHeads, 2);
        for (const [name, tensor] of saved) {
          const a = (await model.params.get(name)!.data()) as Float32Array;
          const b = (await tensor.data()) as Float32Array;
          assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), name);
        }
      } finally {
        loaded.dispose();
        tf.dispose([...saved.values()]);
      }
      assert.equal(tf.memory().numTensors, before, 'runs left tensors behind');
    });

    it('model.from carries kvHeads; a checkpoint without it (older) means kvHeads = heads, and a recipe contradicting that says so', async () => {
      const grouped = await runRecorded(tinyGptRecipe(path.join(dir, 'grouped'), { model: GQA_MODEL, trainIters: 1, scheduler: { type: 'constant' }, checkpoint: [{ type: 'floe', saveEveryNSteps: 1 }] }));
      const plain = await runRecorded(tinyGptRecipe(path.join(dir, 'plain'), { trainIters: 1, scheduler: { type: 'constant' }, checkpoint: [{ type: 'floe', saveEveryNSteps: 1 }] }));
      // An older checkpoint: model-config.json from before kvHeads (the manifest rebuilt to match).
      const older = plain.result.lastCheckpointPath as string;
      const file = path.join(older, 'model-config.json');
      const described = JSON.parse(fs.readFileSync(file, 'utf8')) as { options: Record<string, unknown> };
      assert.equal(described.options.kvHeads, 2);
      delete described.options.kvHeads;
      fs.writeFileSync(file, `${JSON.stringify(described, null, 2)}\n`);
      await writeManifest(older);

      let runs = 0;
      const kvHeadsFrom = async (from: string, model: Record<string, unknown> = {}): Promise<number> => {
        let kvHeads = 0;
        await runRecorded(tinyGptRecipe(path.join(dir, `from-${runs++}`), { trainIters: 1, scheduler: { type: 'constant' }, checkpoint: [], model: { type: 'gpt', from, ...model } }), {
          onTrainerReady: async (trainer) => {
            kvHeads = (trainer as LanguageModelTrainer).gpt.options.kvHeads;
          },
        });
        return kvHeads;
      };
      assert.equal(await kvHeadsFrom(grouped.result.lastCheckpointPath as string), 2);
      assert.equal(await kvHeadsFrom(grouped.result.lastCheckpointPath as string, { heads: 4, kvHeads: 2 }), 2);
      assert.equal(await kvHeadsFrom(older), 2);
      const error = await expectConfigError(kvHeadsFrom(older, { kvHeads: 1 }));
      assert.deepEqual(error.issues.map((i) => i.path), ['model.kvHeads']);
      assert.match(error.message, /model\.kvHeads: is 1 but .*model-config\.json says 2 \(heads, no key\/value head count given\)/);
    });
  });
});
