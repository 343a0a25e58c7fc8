import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { completeBatch, GptModel, LanguageModelTrainer, loadCheckpointModel, Logger, runJob } from '../../src';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { runCli } from '../../src/cli/main';
import { makeTempDir } from '../checkpoint/temp-dir';
import { QUIET_RUN } from '../checkpoint/fixtures/tiny-gpt-run';
import { writeTinyLlamaTokenizer } from '../tokenizer/tiny-llama-tokenizer';

const PROMPTS = ['hello', 'world hello', 'a tale'];
const MAX_TOKENS = 4;

describe('floe generate with data.addBos: auto (a Llama tokenizer with add_bos_token: true)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let checkpoint: string;
  let evalPrompts: { got: string[]; afterBos: string[]; leaked: number };
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-gen-bos-'));
    const tokDir = path.join(dir, 'tok');
    writeTinyLlamaTokenizer(tokDir);
    fs.writeFileSync(path.join(dir, 'data.jsonl'), ['hello world', 'a tale', 'world hello'].map((text) => JSON.stringify({ text })).join('\n'));
    // Untrained but with large weights, so the model's answers depend on every prompt id.
    const result = await runJob(
      {
        type: 'sft',
        backend: 'cpu',
        ...QUIET_RUN,
        trainIters: 1,
        microBatchSize: 3,
        outputDir: path.join(dir, 'run'),
        tokenizer: { type: 'hf', path: tokDir },
        data: { type: 'sft', sources: [{ type: 'jsonl', paths: [path.join(dir, 'data.jsonl')] }], maxLength: 16, trainEvalSplit: [1, 0], cache: false },
        model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, initStd: 0.5 },
        scheduler: { type: 'constant' },
        checkpoint: [{ type: 'floe', saveEveryNSteps: 1 }],
      },
      {
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: async (t) => {
          const lm = t as LanguageModelTrainer;
          const tok = lm.tokenizer;
          const before = tf.memory().numTensors;
          const got = (await lm.completeExamples(PROMPTS.map((prompt) => ({ prompt, completion: '?' })))).map((s) => s.produced);
          const leaked = tf.memory().numTensors - before;
          // completeExamples' own budget: the expected completion's length plus 2.
          const maxNewTokens = tok.encode('?').length + 2;
          const produced = await completeBatch(lm.gpt, PROMPTS.map((p) => [tok.bosId, ...tok.encode(p)]), { maxNewTokens, stopTokenId: tok.eosId, padId: tok.padId });
          evalPrompts = { got, afterBos: produced.map((p) => tok.decode(p)), leaked };
        },
      },
    );
    checkpoint = result.lastCheckpointPath as string;
  });
  after(() => cleanup());

  /** `floe generate`'s lines for PROMPTS from `ckpt`, and the greedy completions of the prompts after bos and without it on the same weights. */
  async function generateFrom(ckpt: string): Promise<{ out: string[]; afterBos: string[]; plain: string[]; addBos: unknown }> {
    const out: string[] = [];
    const code = await runCli(['generate', '--checkpoint', ckpt, '--backend', 'cpu', '--max-tokens', String(MAX_TOKENS), ...PROMPTS.flatMap((p) => ['--prompt', p])], { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
    assert.equal(code, 0, out.join('\n'));
    const loaded = await loadCheckpointModel(ckpt);
    try {
      const before = tf.memory().numTensors;
      const tok = loaded.tokenizer;
      // The CLI prints the prompt and the completion decoded after it (a word's ▁ is a space there).
      const complete = async (ids: number[][]): Promise<string[]> =>
        (await completeBatch(loaded.model as GptModel, ids, { maxNewTokens: MAX_TOKENS, stopTokenId: tok.eosId, padId: tok.padId })).map((p, i) => tok.decode([...tok.encode(PROMPTS[i]), ...p]));
      const afterBos = await complete(PROMPTS.map((p) => [tok.bosId, ...tok.encode(p)]));
      const plain = await complete(PROMPTS.map((p) => tok.encode(p)));
      assert.equal(tf.memory().numTensors, before);
      assert.notDeepEqual(afterBos, plain, 'the model answers differently with and without bos');
      return { out, afterBos, plain, addBos: (loaded.config.data as { addBos?: unknown }).addBos };
    } finally {
      loaded.dispose();
    }
  }

  /** A copy of the checkpoint whose recipe.yaml has data.addBos changed by `edit` (the manifest rebuilt). */
  async function withSavedAddBos(name: string, edit: (data: Record<string, unknown>) => void): Promise<string> {
    const copy = path.join(dir, name, path.basename(checkpoint));
    fs.cpSync(checkpoint, copy, { recursive: true });
    const file = path.join(copy, 'recipe.yaml');
    const recipe = parseYaml(fs.readFileSync(file, 'utf8')) as { data: Record<string, unknown> };
    edit(recipe.data);
    fs.writeFileSync(file, toYaml(recipe));
    await writeManifest(copy);
    return copy;
  }

  it("records what auto resolved to in the checkpoint's recipe.yaml, and starts the prompts with bos once", async () => {
    const saved = parseYaml(fs.readFileSync(path.join(checkpoint, 'recipe.yaml'), 'utf8')) as { data: { addBos: unknown } };
    assert.equal(saved.data.addBos, true);
    const { out, afterBos, addBos } = await generateFrom(checkpoint);
    assert.equal(addBos, true);
    assert.deepEqual(out, afterBos);
  });

  it('starts the exact-match evaluation prompts with bos as well', () => {
    assert.deepEqual(evalPrompts.got, evalPrompts.afterBos);
    assert.equal(evalPrompts.leaked, 0);
  });

  it('generates an older checkpoint, whose recipe.yaml has no data.addBos, without bos (the default then)', async () => {
    const old = await withSavedAddBos('old', (data) => delete data.addBos);
    const { out, plain, addBos } = await generateFrom(old);
    assert.equal(addBos, false);
    assert.deepEqual(out, plain);
  });

  it('keeps an explicit false of a saved recipe, and resolves a saved auto by the tokenizer', async () => {
    const off = await generateFrom(await withSavedAddBos('off', (data) => (data.addBos = false)));
    assert.deepEqual(off.out, off.plain);
    const auto = await generateFrom(await withSavedAddBos('auto', (data) => (data.addBos = 'auto')));
    assert.equal(auto.addBos, 'auto');
    assert.deepEqual(auto.out, auto.afterBos);
  });
});
