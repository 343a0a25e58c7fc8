import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, runJob, validateRecipe } from '../../src';
import { ConfigError, ConfigIssue } from '../../src/errors';
import { GptModel, LoraOptions } from '../../src/model';
import { Rng } from '../../src/random';
import { useTempDir } from '../fixtures/supervised';
import { TINY_GPT, tinyGptRecipe } from '../fixtures/tiny-gpt-recipe';

/** A small causal recipe with `model.lora`, as a file: its errors carry file:line:col. */
function recipeFile(dir: string, lora: unknown): string {
  const file = path.join(dir, 'recipe.yaml');
  fs.writeFileSync(file, JSON.stringify(tinyGptRecipe({ outputDir: path.join(dir, 'run'), lora }), null, 1));
  return file;
}

/** The issues of the error `fn` throws (or rejects with): a ConfigError. */
async function issuesOf(fn: () => unknown): Promise<ConfigIssue[]> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues;
  }
  assert.fail('no error');
}

/** What an issue says, its path relative to the LoRA options (`rank`, `targets[1]`), without a location. */
const reasons = (issues: ConfigIssue[], prefix: string): Array<{ path: string; message: string; hint?: string }> =>
  issues.map((i) => {
    assert.ok(i.path.startsWith(prefix), i.path);
    return { path: i.path.slice(prefix.length), message: i.message, ...(i.hint === undefined ? {} : { hint: i.hint }) };
  });

describe('LoRA options: one checker for recipes and the model API', () => {
  const tmp = useTempDir('floe-lora-options-');

  const BAD: unknown[] = [
    { rank: 0, alpha: -1, dropout: 2 },
    { rank: 1.5 },
    { rank: 2, dropout: 0.95 },
    { rank: 2, alpha: 'x' },
    { rank: 2, targets: [] },
    { rank: 2, rnak: 4 },
    {},
  ];

  it('a bad rank, alpha, dropout, targets list or key gets the same reason from a recipe (with file:line:col) as from new GptModel', async () => {
    for (const lora of BAD) {
      const fromRecipe = await issuesOf(() => validateRecipe(recipeFile(tmp(), lora)));
      const fromApi = await issuesOf(() => new GptModel({ vocabSize: 7, ...TINY_GPT, lora: lora as LoraOptions }, new Rng(1)));
      assert.deepEqual(reasons(fromApi, 'lora.'), reasons(fromRecipe, 'model.lora.'), JSON.stringify(lora));
      assert.ok(fromRecipe.every((i) => i.location !== undefined && /recipe\.yaml$/.test(i.location.file)), JSON.stringify(fromRecipe));
    }
  });

  it('a target matching no dense layer: the same reason at build (model.lora.targets[1], file:line:col) as from new GptModel', async () => {
    const lora = { rank: 2, targets: ['*.attn.qkv', '*.mlp.gate'] };
    const tensors = tf.memory().numTensors;
    const fromRun = await issuesOf(() => runJob(recipeFile(tmp(), lora), { logger: new Logger({ sink: () => undefined }) }));
    const fromApi = await issuesOf(() => new GptModel({ vocabSize: 7, ...TINY_GPT, lora }, new Rng(1)));
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    assert.equal(fromRun.length, 1, fromRun.map((i) => ConfigError.formatIssue(i)).join('\n'));
    assert.deepEqual(reasons(fromApi, 'lora.'), reasons(fromRun, 'model.lora.'));
    assert.match(ConfigError.formatIssue(fromRun[0]), /^model\.lora\.targets\[1\]: '\*\.mlp\.gate' matches no dense layer of the model \(.*recipe\.yaml:\d+:\d+\)\. .*the dense layers are: blocks\.0\.attn\.qkv, blocks\.0\.attn\.out, blocks\.0\.mlp\.up, blocks\.0\.mlp\.down\./);
  });
});
