import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import { container as rootContainer } from 'tsyringe';
import { ConfigError, initBackend, LmDataLoaders, Logger, RunContext, runJob, Trainer, validateRecipe } from '../../src';
import { BatchIterator } from '../../src/data/batch-iterator';
import { mixSources, sourceMixNote, weightItems } from '../../src/data/source-mix';
import { Rng } from '../../src/random';
import { escapeRegExp, expectConfigError, useRecipeDir } from '../config/recipe-dir';

const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const chat = (user: string) => JSON.stringify({ messages: [{ role: 'user', content: `q ${user}` }, { role: 'assistant', content: `<${user}>` }] });

/** How often each item occurs in `items`. */
function counts(items: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(item, (out.get(item) ?? 0) + 1);
  return out;
}

/** The record name (`a7`) of each row of an SFT loader: the assistant's reply `<a7>` in the decoded row. */
function rowNames(trainer: Trainer, loader: unknown): string[] {
  const examples = (loader as { options: { examples: Array<{ inputIds: Int32Array; numTokens?: number }> } }).options.examples;
  return examples.map((e) => {
    const text = trainer.tokenizer.decode([...e.inputIds.subarray(0, e.numTokens ?? e.inputIds.length)]);
    const name = /<([ab]\d+)>/.exec(text)?.[1];
    assert.ok(name !== undefined, `a row without a record name: ${JSON.stringify(text)}`);
    return name;
  });
}

describe('source mix (data.sources[].weight, maxRecords)', () => {
  describe('mixSources', () => {
    // Four sources of 10, 7, 10 and 7 items with weights 1, 2, 0.5 and 2.5.
    const items = [...range('p', 10), ...range('q', 7), ...range('r', 10), ...range('s', 7)];
    const sourceOf = (item: string) => 'pqrs'.indexOf(item[0]);
    const sources = [{ weight: 1 }, { weight: 2 }, { weight: 0.5 }, { weight: 2.5 }];
    const mix = (seed: number) => mixSources(items, { sources, labels: ['p.txt', 'q.txt', 'r.txt', 's.txt'], sourceOf, seed });

    it('gives round(records × weight) records per source: each whole pass, then a seeded choice', () => {
      const { train, entries } = mix(7);
      // 10 × 1 = 10; 7 × 2 = 14; 10 × 0.5 = 5; 7 × 2.5 = 17.5 → 18 (twice each, plus 4 of 7 once more).
      assert.deepEqual(entries.map((e) => [e.records, e.weighted]), [[10, 10], [7, 14], [10, 5], [7, 18]]);
      const n = counts(train);
      assert.equal(train.length, 47);
      for (const p of range('p', 10)) assert.equal(n.get(p), 1, p);
      for (const q of range('q', 7)) assert.equal(n.get(q), 2, q);
      assert.equal(range('r', 10).filter((r) => n.get(r) === 1).length, 5);
      assert.ok(range('r', 10).every((r) => (n.get(r) ?? 0) <= 1));
      assert.deepEqual([...range('s', 7).map((s) => n.get(s))].sort(), [2, 2, 2, 3, 3, 3, 3]);
      // Source by source; within one, whole passes first (copies of a record far apart).
      assert.deepEqual(train.slice(0, 10), range('p', 10));
      assert.deepEqual(train.slice(10, 24), [...range('q', 7), ...range('q', 7)]);
      assert.deepEqual(train.slice(29, 43), [...range('s', 7), ...range('s', 7)]);
    });

    it('picks the same records for the same seed and source, others for another seed', () => {
      const picked = (seed: number) => mix(seed).train.filter((x) => x.startsWith('r'));
      assert.deepEqual(picked(7), picked(7));
      assert.notDeepEqual(picked(7), picked(8));
      // Each source draws from its own stream: the same items at another index pick differently.
      const rng = (label: string) => new Rng(7).fork(label);
      assert.notDeepEqual(weightItems(range('x', 20), 0.5, rng('source-mix:2')), weightItems(range('x', 20), 0.5, rng('source-mix:3')));
    });

    it('leaves every record once when all weights are 1, and says nothing of a mix', () => {
      const plain = mixSources(items, { sources: sources.map(() => ({})), labels: ['p', 'q', 'r', 's'], sourceOf, seed: 1 });
      assert.deepEqual(plain.train, items);
      assert.equal(sourceMixNote(plain.entries), undefined);
    });

    it('is an error at the weight of a source whose training records all round away', () => {
      assert.throws(
        () => mixSources(range('p', 3), { sources: [{}, { weight: 0.1 }], labels: ['first', 'tiny.jsonl'], sourceOf: () => 1, seed: 1 }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.issues[0].path, 'data.sources[1].weight');
          assert.equal(
            e.issues[0].message,
            '0.1 leaves none of the 3 training records of tiny.jsonl (3 × 0.1 rounds to 0), so the source would add nothing: give a weight of at least 0.34 (one record), or remove the source',
          );
          return true;
        },
      );
    });

    it('logs the mix with counts and shares', () => {
      const note = sourceMixNote([
        { label: 'web.jsonl', records: 10_000, weight: 0.5, weighted: 5_000 },
        { label: 'code.jsonl', records: 3_000, weight: 2, weighted: 6_000 },
      ]);
      assert.equal(note, 'data mix: web.jsonl 10,000 train records × 0.5 → 5,000 (45%); code.jsonl 3,000 × 2 → 6,000 (55%)');
    });
  });

  describe('in a run', () => {
    const recipes = useRecipeDir('floe-source-mix-');

    /** Builds an SFT trainer (data, model) without training; its log lines go to `lines`. */
    async function buildTrainer(recipe: Record<string, unknown>, lines: string[]): Promise<Trainer> {
      const dir = recipes().dir;
      const resolved = await validateRecipe({ backend: 'cpu', outputDir: path.join(dir, 'run'), ...recipe }, { baseDir: dir });
      const context: RunContext = {
        container: rootContainer.createChildContainer(),
        logger: new Logger({ sink: (_level, line) => lines.push(line) }),
        backend: await initBackend({ name: resolved.config.backend.name }),
        outputDir: path.join(dir, 'run'),
        recipeDir: resolved.recipeDir,
        resolvedRecipe: resolved.resolved,
      };
      const Cls = resolved.trainerClass as unknown as new (c: typeof resolved.config, ctx: RunContext) => Trainer;
      const trainer = new Cls(resolved.config, context);
      built.push(trainer);
      await trainer.setup();
      return trainer;
    }

    // Every trainer a test built is freed after it, and the tensors with it.
    const built: Trainer[] = [];
    let tensorsBefore = 0;
    beforeEach(() => {
      tensorsBefore = tf.memory().numTensors;
    });
    afterEach(() => {
      for (const t of built.splice(0)) {
        t.model?.dispose();
        t.optimizer?.dispose();
      }
      assert.equal(tf.memory().numTensors, tensorsBefore, 'the trainers left tensors behind');
    });

    const sft = (sources: unknown[], extra: Record<string, unknown> = {}) => ({
      type: 'sft',
      seed: 5,
      microBatchSize: 2,
      tokenizer: { type: 'byte' },
      data: { type: 'sft', sources, maxLength: 48, trainEvalSplit: [0.8, 0.2], ...extra },
      model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 48 },
    });

    it('weights training records per source, leaves eval records once and apart, and logs the mix', async () => {
      const r = recipes();
      r.write('a.jsonl', `${range('a', 20).map(chat).join('\n')}\n`);
      r.write('b.jsonl', `${range('b', 10).map(chat).join('\n')}\n`);
      const sources = [
        { type: 'jsonl', paths: 'a.jsonl', format: 'chat', weight: 0.5 },
        { type: 'jsonl', paths: 'b.jsonl', format: 'chat', weight: 2.5 },
      ];
      const lines: string[] = [];
      const trainer = await buildTrainer(sft(sources, { cacheDir: path.join(r.dir, 'cache') }), lines);
      const loaders = trainer.dataLoaders as LmDataLoaders;
      assert.ok(loaders.train instanceof BatchIterator);
      const train = counts(rowNames(trainer, loaders.train));
      const evalNames = rowNames(trainer, loaders.eval);
      // 30 distinct records, 20% held out: 6 eval records, each once and never trained on.
      assert.equal(evalNames.length, 6);
      assert.equal(new Set(evalNames).size, 6);
      for (const name of evalNames) assert.equal(train.get(name), undefined, `${name} is held out`);
      const trainA = range('a', 20).filter((n) => !evalNames.includes(n));
      const trainB = range('b', 10).filter((n) => !evalNames.includes(n));
      const keptA = Math.round(trainA.length * 0.5);
      const extraB = Math.round(trainB.length * 2.5) - 2 * trainB.length;
      assert.equal(trainA.filter((n) => train.get(n) === 1).length, keptA);
      assert.ok(trainA.every((n) => (train.get(n) ?? 0) <= 1));
      assert.equal(trainB.filter((n) => train.get(n) === 3).length, extraB);
      assert.equal(trainB.filter((n) => train.get(n) === 2).length, trainB.length - extraB);
      assert.equal(loaders.train.numExamples, keptA + 2 * trainB.length + extraB);
      const total = keptA + 2 * trainB.length + extraB;
      const share = (n: number) => `${Math.round((100 * n) / total)}%`;
      const mixLine = `data mix: a.jsonl ${trainA.length} train records × 0.5 → ${keptA} (${share(keptA)}); b.jsonl ${trainB.length} × 2.5 → ${total - keptA} (${share(total - keptA)})`;
      assert.deepEqual(lines.filter((l) => l.startsWith('data mix')), [mixLine]);

      // The same recipe again reads the cache and builds the same rows; another weight is another entry.
      const entries = () => fs.readdirSync(path.join(r.dir, 'cache')).length;
      assert.equal(entries(), 2, 'a train and an eval entry');
      const again = await buildTrainer(sft(sources, { cacheDir: path.join(r.dir, 'cache') }), []);
      assert.deepEqual(counts(rowNames(again, again.dataLoaders?.train)), train);
      assert.equal(entries(), 2);
      const other = await buildTrainer(sft([sources[0], { ...sources[1], weight: 1 }], { cacheDir: path.join(r.dir, 'cache') }), []);
      assert.equal((other.dataLoaders as LmDataLoaders).train.numExamples, keptA + trainB.length);
      assert.equal(entries(), 4, 'another weight is another key (the data config is part of each)');
    });

    it('reads only the first maxRecords records of a source', async () => {
      const r = recipes();
      r.write('a.jsonl', `${range('a', 20).map(chat).join('\n')}\n`);
      const lines: string[] = [];
      const trainer = await buildTrainer(sft([{ type: 'jsonl', paths: 'a.jsonl', format: 'chat', maxRecords: 6 }], { trainEvalSplit: [1, 0], cache: false }), lines);
      assert.deepEqual([...counts(rowNames(trainer, trainer.dataLoaders?.train)).keys()].sort(), range('a', 6));
      assert.ok(lines.includes('data.sources[0] (jsonl): read the first 6 records (maxRecords: 6)'), lines.join('\n'));
    });

    it('rejects a weight that is not a number > 0 at its path and file:line:col', async () => {
      const r = recipes();
      const file = r.write(
        'recipe.yaml',
        ['type: causal', 'data:', '  sources:', '    - { type: synthetic, task: addition }', '    - type: synthetic', '      weight: 0', 'model: { type: gpt, layers: 1, heads: 1, dim: 8 }', ''].join('\n'),
      );
      const error = await expectConfigError(validateRecipe(file));
      assert.equal(
        error.message,
        `Invalid recipe: data.sources[1].weight: must be a number > 0: how many times each training record of the source appears per epoch (0.5 keeps a seeded half, 2 takes each twice), got 0 (${r.at('recipe.yaml', 6, 15)})`,
      );
      const text = await expectConfigError(validateRecipe(file, { overrides: ['data.sources[1].weight=lots'] }));
      assert.equal(text.issues[0].path, 'data.sources[1].weight');
      assert.match(text.message, /must be a number > 0: .*, got "lots"/);
    });

    it('fails a run whose weight leaves a source no training record, naming the setting in the recipe', async () => {
      const r = recipes();
      const file = r.write(
        'recipe.yaml',
        [
          'type: causal',
          'backend: cpu',
          `outputDir: ${JSON.stringify(path.join(r.dir, 'run'))}`,
          'trainIters: 1',
          'checkpoint: []',
          'data:',
          '  cache: false',
          '  sources:',
          '    - { type: synthetic, task: addition, count: 50 }',
          '    - { type: synthetic, task: reverse, count: 20, weight: 0.01 }',
          'model: { type: gpt, layers: 1, heads: 1, dim: 8, maxLength: 128 }',
          '',
        ].join('\n'),
      );
      const error = await expectConfigError(runJob(file, { logger: new Logger({ sink: () => undefined }) }));
      assert.match(
        error.message,
        new RegExp(`^Invalid recipe: data\\.sources\\[1\\]\\.weight: 0\\.01 leaves none of the \\d+ training records of synthetic reverse .*or remove the source \\(${escapeRegExp(r.at('recipe.yaml', 10, 60))}\\)$`),
      );
    });
  });
});
