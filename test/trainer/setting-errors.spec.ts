import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { stringify as toYaml } from 'yaml';
import { CheckpointError, ConfigError, DataError, runJob } from '../../src';
import { writeTinyLlamaFolder } from '../checkpoint/fixtures/tiny-llama-folder';
import { tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { cli } from '../support/cli-run';

/** Writes a recipe file (so errors have a file:line:col) and returns its path. */
function writeRecipe(dir: string, name: string, recipe: Record<string, unknown>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, toYaml(recipe));
  return file;
}

/** The 1-based line:col where `text` first starts in `file`. */
function lineCol(file: string, text: string): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(text));
  return `${line + 1}:${lines[line].indexOf(text) + 1}`;
}

describe('errors found while building a run name the recipe setting and where it is written', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-setting-errors-')));
  afterEach(() => cleanup());

  it('model.from naming a folder without a model: the folder, what is expected and model.from (file:line:col)', async () => {
    fs.mkdirSync(path.join(dir, 'notamodel'));
    fs.writeFileSync(path.join(dir, 'notamodel', 'notes.json'), '{}');
    const recipe = tinyGptRecipe(path.join(dir, 'run'), { model: { type: 'gpt', from: './notamodel' } });
    const file = writeRecipe(dir, 'recipe.yaml', recipe);
    const before = tf.memory().numTensors;
    const error = await runJob(file).then(() => assert.fail('expected an error'), (e: Error) => e);
    assert.ok(error instanceof CheckpointError, `${error.name}: ${error.message}`);
    assert.match(error.message, /^Cannot load a model from '.*notamodel': expected a Floe checkpoint or export .* or a HuggingFace folder \(config\.json \+ model\.safetensors or its sharded index\) whose config\.json model_type is gpt2, llama, mistral, qwen2, qwen3 or gemma3_text \(model\.from, /);
    assert.ok(error.message.endsWith(` (model.from, ${path.relative(process.cwd(), file)}:${lineCol(file, './notamodel')}).`), error.message);
    assert.equal(tf.memory().numTensors, before, 'no tensor left');
  });

  it('model.from naming a folder of model folders: says which ones to point at', async () => {
    for (const name of ['llama-a', 'gpt2-b']) {
      fs.mkdirSync(path.join(dir, 'models', name), { recursive: true });
      fs.writeFileSync(path.join(dir, 'models', name, 'config.json'), '{}');
    }
    const file = writeRecipe(dir, 'recipe.yaml', tinyGptRecipe(path.join(dir, 'run'), { model: { type: 'gpt', from: './models' } }));
    const run = await cli('train', file);
    assert.equal(run.code, 1, run.err.join('\n'));
    const models = path.join(dir, 'models');
    assert.match(run.err.join('\n'), new RegExp(`It holds model folders: point from at one of ${path.join(models, 'gpt2-b')}, ${path.join(models, 'llama-a')} \\(model\\.from, .*recipe\\.yaml:\\d+:\\d+\\)\\.`));
  });

  it("data.maxLength beyond a from model's positions is reported at data.maxLength (file:line:col), saying the most it may be", async () => {
    writeTinyLlamaFolder(path.join(dir, 'llama'));
    const recipe = tinyGptRecipe(path.join(dir, 'run'), { model: { type: 'gpt', from: './llama' } });
    const file = writeRecipe(dir, 'recipe.yaml', { ...recipe, data: { ...(recipe.data as Record<string, unknown>), maxLength: 32 } });
    const error = await runJob(file).then(() => assert.fail('expected an error'), (e: Error) => e);
    assert.ok(error instanceof ConfigError, `${error.name}: ${error.message}`);
    assert.deepEqual(error.issues.map((i) => i.path), ['data.maxLength']);
    assert.equal(
      error.message,
      `Invalid recipe: data.maxLength: is 32 but the model (from ${path.join(dir, 'llama', 'config.json')}) takes at most 16 positions: set data.maxLength to 16 or less (${path.relative(process.cwd(), file)}:${lineCol(file, 'maxLength: 32').split(':')[0]}:${'  maxLength: '.length + 1})`,
    );
  });

  it('SFT data that maxLength leaves nothing of names data.maxLength (file:line:col) and, with from, only the setting that can change', async () => {
    writeTinyLlamaFolder(path.join(dir, 'llama'));
    const chat = { messages: [{ role: 'user', content: 'hello world hello world hello world' }, { role: 'assistant', content: 'hello' }] };
    fs.writeFileSync(path.join(dir, 'chats.jsonl'), `${JSON.stringify(chat)}\n`.repeat(4));
    const recipe = tinyGptRecipe(path.join(dir, 'run'), {
      type: 'sft',
      tokenizer: { type: 'hf', path: './llama' },
      data: { type: 'sft', sources: [{ type: 'jsonl', paths: 'chats.jsonl', format: 'chat' }], chatTemplate: "{% for m in messages %}{{ ' ' + m.content }}{% endfor %}", maxLength: 4, cache: false, trainEvalSplit: [1, 0] },
      model: { type: 'gpt', from: './llama' },
    });
    const file = writeRecipe(dir, 'recipe.yaml', recipe);
    const error = await runJob(file).then(() => assert.fail('expected an error'), (e: Error) => e);
    assert.ok(error instanceof DataError, `${error.name}: ${error.message}`);
    assert.match(error.message, /^data: the train split has no rows left: 4 of 4 conversations were longer than maxLength 4 tokens and were cut; 4 were dropped/);
    assert.ok(
      error.message.endsWith(`Raise data.maxLength (at most the model.from model's positions) or shorten the data (data.maxLength, ${path.relative(process.cwd(), file)}:${lineCol(file, 'maxLength: 4').replace(/:\d+$/, (col) => `:${Number(col.slice(1)) + 'maxLength: '.length}`)})`),
      error.message,
    );
  });

  it('floe train --resume with no value before the run saved anything: names the flag and what to do instead', async () => {
    const file = writeRecipe(dir, 'recipe.yaml', tinyGptRecipe(path.join(dir, 'run')));
    const run = await cli('train', file, '--resume');
    assert.equal(run.code, 1, run.err.join('\n'));
    const err = run.err.join('\n');
    assert.match(err, /--resume \(no value\) resumes the newest checkpoint of the recipe's run folder \(outputDir\), and there is none: No Floe checkpoint at '.*run': the path does not exist/);
    assert.match(err, /Run without --resume to start the run, or name what to resume: --resume <checkpoint folder, folder of step-N checkpoints or run folder>\./);
    assert.ok(!fs.existsSync(path.join(dir, 'run')), 'no run folder made');
    // A named checkpoint that does not exist keeps its own message: the user typed the path.
    const named = await cli('train', file, '--resume', path.join(dir, 'elsewhere'));
    assert.doesNotMatch(named.err.join('\n'), /no value/);
    assert.match(named.err.join('\n'), /No Floe checkpoint at '.*elsewhere': the path does not exist/);
  });
});
