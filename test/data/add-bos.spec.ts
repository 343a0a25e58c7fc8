import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { disposeBatch, LmBatch, Logger, runJob, validateRecipe } from '../../src';
import { makeTempDir } from '../checkpoint/temp-dir';
import { QUIET_RUN } from '../checkpoint/fixtures/tiny-gpt-run';
import { tinyLlamaTokenizerConfig, writeTinyLlamaTokenizer } from '../tokenizer/tiny-llama-tokenizer';

const BOS = 1;
// 'hello world', 'a tale', 'world hello' in the tiny Llama vocabulary (no bos: encode never adds it).
const TEXTS = ['hello world', 'a tale', 'world hello'];
const IDS = [[21, 26], [27, 28, 15, 10, 9], [26, 21]];
// Renders bos itself, as Llama 2's and Mistral's templates do.
const BOS_TEMPLATE =
  "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}{{ m.content }}{% else %} a {{ m.content }}{{ eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %} a {% endif %}";

/** Every training row of a one-step sft run over `records` (one row a batch: no padding), and the run's log. */
async function rowsOf(dir: string, options: { records: unknown[]; data?: Record<string, unknown>; tokenizerConfig?: Record<string, unknown> }): Promise<{ rows: number[][]; log: string[] }> {
  const tokDir = path.join(dir, 'tok');
  writeTinyLlamaTokenizer(tokDir);
  if (options.tokenizerConfig !== undefined) fs.writeFileSync(path.join(tokDir, 'tokenizer_config.json'), JSON.stringify(options.tokenizerConfig));
  fs.writeFileSync(path.join(dir, 'data.jsonl'), options.records.map((r) => JSON.stringify(r)).join('\n'));
  const rows: number[][] = [];
  const log: string[] = [];
  const before = tf.memory().numTensors;
  await runJob(
    {
      type: 'sft',
      backend: 'cpu',
      ...QUIET_RUN,
      trainIters: 1,
      microBatchSize: 1,
      outputDir: path.join(dir, 'run'),
      overwriteOutputDir: true,
      tokenizer: { type: 'hf', path: tokDir },
      data: { type: 'sft', sources: [{ type: 'jsonl', paths: [path.join(dir, 'data.jsonl')] }], maxLength: 16, trainEvalSplit: [1, 0], evalGenerations: 0, cache: false, ...options.data },
      model: { type: 'gpt', layers: 1, heads: 2, dim: 8, maxLength: 16 },
      checkpoint: [],
    },
    {
      logger: new Logger({ sink: (_level, line) => log.push(line) }),
      onTrainerReady: async (t) => {
        for (const batch of t.trainLoader.batches(0) as Iterable<LmBatch>) {
          rows.push(Array.from(await batch.inputIds.data()));
          disposeBatch(batch);
        }
      },
    },
  );
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  rows.sort((a, b) => a.join(',').localeCompare(b.join(',')));
  return { rows, log };
}

const sorted = (rows: number[][]): number[][] => [...rows].sort((a, b) => a.join(',').localeCompare(b.join(',')));
const withBos = sorted(IDS.map((ids) => [BOS, ...ids]));
const withoutBos = sorted(IDS);
const autoNotes = (log: string[]): string[] => log.filter((l) => l.startsWith('data: addBos auto'));

describe('data.addBos: auto (the tokenizer decides bos)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-add-bos-')));
  afterEach(() => cleanup());

  const texts = TEXTS.map((text) => ({ text }));
  const config = (flag: unknown): Record<string, unknown> => {
    const c: Record<string, unknown> = { ...tinyLlamaTokenizerConfig() };
    if (flag === undefined) delete c.add_bos_token;
    else c.add_bos_token = flag;
    return c;
  };

  it('starts every text record with bos, once, for a Llama tokenizer with add_bos_token: true, and says so once', async () => {
    const { rows, log } = await rowsOf(dir, { records: texts });
    assert.deepEqual(rows, withBos);
    assert.deepEqual(autoNotes(log), [
      "data: addBos auto → true (tokenizer_config.json add_bos_token): every text record starts with bos, as the tokenizer's model was trained; set data.addBos: false to leave it out",
    ]);
  });

  it("follows tokenizer.json's post-processor when tokenizer_config.json has no add_bos_token", async () => {
    const { rows, log } = await rowsOf(dir, { records: texts, tokenizerConfig: config(undefined) });
    assert.deepEqual(rows, withBos);
    assert.equal(autoNotes(log).length, 1);
    assert.match(autoNotes(log)[0], /\(tokenizer\.json post_processor \(TemplateProcessing puts '<s>' first\)\)/);
  });

  it('adds no bos when add_bos_token is false, and says nothing', async () => {
    const { rows, log } = await rowsOf(dir, { records: texts, tokenizerConfig: config(false) });
    assert.deepEqual(rows, withoutBos);
    assert.deepEqual(autoNotes(log), []);
  });

  it('lets an explicit true or false override the tokenizer', async () => {
    assert.deepEqual((await rowsOf(dir, { records: texts, data: { addBos: false } })).rows, withoutBos);
    const forced = await rowsOf(dir, { records: texts, data: { addBos: true }, tokenizerConfig: config(false) });
    assert.deepEqual(forced.rows, withBos);
    assert.deepEqual(autoNotes(forced.log), [], 'only auto is reported');
  });

  it('gives a chat rendered by a Jinja template that writes {{ bos_token }} exactly one bos (its own), whatever addBos says', async () => {
    const chats = [{ messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'world' }] }];
    // The tokenizer's own template (data.chatTemplate: tokenizer), as a Llama 2 or Mistral chat model has it.
    const tokenizerConfig = { ...tinyLlamaTokenizerConfig(), chat_template: BOS_TEMPLATE };
    for (const addBos of ['auto', true, false]) {
      const { rows } = await rowsOf(dir, { records: chats, data: { chatTemplate: 'tokenizer', addBos }, tokenizerConfig });
      assert.equal(rows.length, 1);
      // '<s>hello a world</s>' less its last id: 'hello' right after <s> gets no ▁ (prepend_scheme first), as in HuggingFace.
      assert.deepEqual(rows[0], [BOS, 8, 9, 19, 11, 27, 26], `addBos ${addBos}`);
    }
  });

  it("gives the same template written in the recipe the tokenizer's bos_token, though its tokenizer_config.json has no chat_template", async () => {
    const chats = [{ messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'world' }] }];
    const { rows } = await rowsOf(dir, { records: chats, data: { chatTemplate: BOS_TEMPLATE } });
    assert.deepEqual(rows, [[BOS, 8, 9, 19, 11, 27, 26]]);
  });

  it('refuses another value at data.addBos, with the recipe line and what it takes', async () => {
    const file = path.join(dir, 'recipe.yaml');
    fs.writeFileSync(file, 'type: causal\ndata:\n  type: causal\n  sources: [{ type: synthetic, task: addition }]\n  addBos: yes\n');
    await assert.rejects(validateRecipe(file), /data\.addBos: must be auto \(the tokenizer's rule\), true or false, got "yes" \(.*recipe\.yaml:5:11\)\. Write true: recipes are YAML 1\.2, where 'yes' is text, not a boolean\.$/);
    // As for boolean settings: a quoted boolean, YAML 1.1's off, and a typo of auto.
    const hint = async (value: string): Promise<string> => {
      fs.writeFileSync(file, `type: causal\ndata:\n  type: causal\n  sources: [{ type: synthetic, task: addition }]\n  addBos: ${value}\n`);
      const error = await validateRecipe(file).then(() => assert.fail(`expected ${value} refused`), (e: Error) => e);
      return error.message.replace(/^.*recipe\.yaml:5:11\)\. /s, '');
    };
    assert.equal(await hint('"false"'), 'Write false without quotes: quoted, it is text.');
    assert.equal(await hint('off'), "Write false: recipes are YAML 1.2, where 'off' is text, not a boolean.");
    assert.equal(await hint('atuo'), "Did you mean 'auto'?");
  });

  it('leaves the byte tokenizer as it was: the quickstart rows are the same ids, and auto shares the token cache of false', async () => {
    const run = async (overrides: string[]): Promise<string> => {
      const hash = createHash('sha256');
      await runJob(path.resolve(__dirname, '../../../recipes/quickstart.yaml'), {
        overrides: [
          'data.sources[0].count=2000', 'trainIters=1', 'scheduler.warmupSteps=0', 'backend=cpu', `outputDir=${path.join(dir, 'run')}`, 'overwriteOutputDir=true',
          `data.cacheDir=${path.join(dir, 'cache')}`, 'checkpoint=[]', 'quiet=true', 'report=false', 'evalInterval=0', 'evalAtEnd=false', 'distributed=none', ...overrides,
        ],
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: async (t) => {
          for (const batch of t.trainLoader.batches(0) as Iterable<LmBatch>) {
            hash.update(Buffer.from(Int32Array.from(await batch.inputIds.data()).buffer));
            disposeBatch(batch);
          }
        },
      });
      return hash.digest('hex');
    };
    // Measured before addBos: auto existed (quickstart with its default addBos: false).
    const before = '1cebbeb0f50c304eb2835ba9c2367e6a3439cde5a35e6719fa57d6b17b200820';
    assert.equal(await run(['data.addBos=false']), before);
    const entries = fs.readdirSync(path.join(dir, 'cache')).sort();
    assert.equal(entries.length, 2, 'train and eval entries');
    assert.equal(await run([]), before, 'auto');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'cache')).sort(), entries, 'auto found the entries of false: no new ones');
  });
});
