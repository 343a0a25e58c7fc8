import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, evaluateJob, Logger, trainEvalSplit } from '../../src';
import { runCli } from '../../src/cli/main';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import '../fixtures/tiny-regression';
import { fakeGroup } from '../distributed/fixtures/fake-group';

const silent = (): Logger => new Logger({ sink: () => undefined });

/** Short words over the tiny tokenizer's letters, some repeated. */
function words(count: number): string[] {
  const letters = 'helowrd';
  return Array.from({ length: count }, (_, i) => Array.from({ length: 3 + (i % 5) }, (_, j) => letters[(i * 3 + j * (i % 4 + 1)) % letters.length]).join(''));
}

const jsonl = (texts: readonly string[]): string => texts.map((text) => JSON.stringify({ text })).join('\n') + '\n';

describe('floe evaluate --data (whole data files)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  let recipe: Record<string, unknown>;
  let trainTexts: string[];
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-evaluate-data-'));
    run = path.join(dir, 'run');
    trainTexts = words(60);
    fs.writeFileSync(path.join(dir, 'train.jsonl'), jsonl(trainTexts));
    const base = tinyGptRecipe(run, { trainIters: 6 });
    recipe = { ...base, data: { ...(base.data as object), sources: [{ type: 'jsonl', paths: [path.join(dir, 'train.jsonl')] }] } };
    await runRecorded(recipe);
  });
  after(() => cleanup());

  it("gives the metrics of the recipe's eval split when the file holds that split's records, and counts every record", async () => {
    const split = await evaluateJob(recipe, { checkpoint: run, logger: silent() });
    // The eval split is the seeded split over distinct records (a record's text is its identity).
    const held = trainEvalSplit(trainTexts, { seed: 7, ratios: [0.9, 0.1], keyOf: (t) => t }).eval;
    assert.equal(split.data.records, held.length);
    assert.equal(split.data.files, undefined);
    const file = path.join(dir, 'held.jsonl');
    fs.writeFileSync(file, jsonl(held));
    const tensors = tf.memory().numTensors;
    const whole = await evaluateJob(recipe, { checkpoint: run, logger: silent(), data: [file] });
    assert.equal(tf.memory().numTensors, tensors, 'evaluation left tensors behind');
    assert.deepEqual(whole.metrics, split.metrics);
    assert.deepEqual(whole.data, { files: [file], records: held.length, tokens: split.data.tokens });
    assert.ok((whole.data.tokens ?? 0) > held.length, JSON.stringify(whole.data));
  });

  it('evaluates every record of the files, copies included, regardless of evalMaxBatches and the split settings', async () => {
    const texts = words(23);
    const file = path.join(dir, 'test.jsonl');
    // A repeat of a record: the eval split would keep one copy, a test file counts both.
    fs.writeFileSync(file, jsonl([...texts, texts[0]]));
    const other = path.join(dir, 'more.jsonl');
    fs.writeFileSync(other, jsonl(['hello world']));
    const result = await evaluateJob({ ...recipe, evalMaxBatches: 1 }, { checkpoint: run, logger: silent(), overrides: ['data.trainEvalSplit=[0.5, 0.5]', 'data.evalMaxSamples=1'], data: [file, other] });
    assert.deepEqual(result.data.files, [file, other]);
    assert.equal(result.data.records, texts.length + 2);
    // One batch of at most microBatchSize (4) rows could not hold 25 records.
    const { metrics: one } = await evaluateJob(recipe, { checkpoint: run, logger: silent(), data: [file, other] });
    assert.deepEqual(result.metrics, one);
  });

  it('a recipe of generated data reads a .jsonl file as JSON lines and any other file as one text document', async () => {
    const file = path.join(dir, 'fallback.jsonl');
    fs.writeFileSync(file, jsonl(words(11)));
    const text = path.join(dir, 'fallback.txt');
    fs.writeFileSync(text, 'hello world\nold word\n');
    const synthetic = tinyGptRecipe(run, { trainIters: 6 });
    const generated = await evaluateJob(synthetic, { checkpoint: run, logger: silent(), data: [file] });
    const asRecipe = await evaluateJob(recipe, { checkpoint: run, logger: silent(), data: [file] });
    assert.deepEqual(generated.data, asRecipe.data);
    assert.deepEqual(generated.metrics, asRecipe.metrics);
    const both = await evaluateJob(synthetic, { checkpoint: run, logger: silent(), data: [file, text] });
    assert.equal(both.data.records, 11 + 1);
  });

  it('ranks of a group share the file and each gets the metrics of one process', async () => {
    const file = path.join(dir, 'test.jsonl');
    fs.writeFileSync(file, jsonl(words(23)));
    const alone = await evaluateJob(recipe, { checkpoint: run, logger: silent(), data: [file] });
    const lines: string[] = [];
    const logger = (rank: number): Logger => new Logger({ sink: (_level, line) => lines.push(`${rank}: ${line}`) });
    const shared = await Promise.all(fakeGroup(2).map((communicator) => evaluateJob({ ...recipe, quiet: false }, { checkpoint: run, logger: logger(communicator.rank), communicator, data: [file] })));
    for (const r of shared) {
      assert.deepEqual(r.data, alone.data);
      assert.deepEqual(Object.keys(r.metrics), Object.keys(alone.metrics));
      for (const [name, value] of Object.entries(alone.metrics)) assert.ok(Math.abs(r.metrics[name] - value) <= 1e-6 * Math.abs(value), `rank ${r.rank} ${name}: ${r.metrics[name]} vs ${value}`);
    }
    assert.deepEqual(
      lines.filter((l) => l.includes('floe: evaluating')),
      [`0: floe: evaluating on 2 ranks, each its share of the data (${file})`],
    );
  });

  it('a missing file or a bad line fails as in training, naming the file (and line:col)', async () => {
    const missing = path.join(dir, 'nope.jsonl');
    await assert.rejects(evaluateJob(recipe, { checkpoint: run, logger: silent(), data: [missing] }), (error: Error) => {
      assert.ok(error instanceof DataError, String(error));
      assert.equal(error.message, `--data ${missing}: data file not found (resolved to ${missing}); expected a file, a folder or a glob pattern`);
      return true;
    });
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, '{"text": "hello"}\n{"text": "wor\n');
    let training = '';
    const asTraining = { ...recipe, data: { ...(recipe.data as object), sources: [{ type: 'jsonl', paths: [bad] }] } };
    await assert.rejects(evaluateJob(asTraining, { checkpoint: run, logger: silent() }), (error: Error) => {
      training = error.message;
      return error instanceof DataError;
    });
    assert.match(training, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: malformed JSON line`), training);
    // The same error, but its hint names the --set that reaches the recipe source reading --data files.
    await assert.rejects(evaluateJob(recipe, { checkpoint: run, logger: silent(), data: [bad] }), (error: Error) => {
      assert.ok(error instanceof DataError, String(error));
      assert.equal(error.message, training.replace('set skipInvalid: true on the source', "add --set 'data.sources[0].skipInvalid=true'"));
      assert.notEqual(error.message, training);
      return true;
    });
  });

  it('the CLI names the data and its counts, in text and in --json', async () => {
    const file = path.join(dir, 'cli.jsonl');
    fs.writeFileSync(file, jsonl(words(9)));
    const recipeFile = path.join(dir, 'recipe.json');
    fs.writeFileSync(recipeFile, JSON.stringify(recipe));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runCli(['evaluate', recipeFile, '--checkpoint', run, '--data', file, '--json'], io), 0, err.join('\n'));
    assert.equal(out.length, 1, out.join('\n'));
    const printed = JSON.parse(out[0]) as { data: { files: string[]; records: number; tokens: number }; metrics: Record<string, number> };
    const direct = await evaluateJob(recipe, { checkpoint: run, logger: silent(), data: [file] });
    assert.deepEqual(printed.data, direct.data);
    assert.deepEqual(printed.metrics, direct.metrics);
    out.length = 0;
    assert.equal(await runCli(['evaluate', recipeFile, '--checkpoint', run, '--data', file], io), 0, err.join('\n'));
    assert.ok(out.includes(`  data: ${file} (whole, no split: 9 records, ${direct.data.tokens} tokens)`), out.join('\n'));
    assert.ok(out.includes(`  eval/loss: ${direct.metrics['eval/loss']}`), out.join('\n'));
    out.length = 0;
    assert.equal(await runCli(['evaluate', recipeFile, '--checkpoint', run], io), 0, err.join('\n'));
    const split = await evaluateJob(recipe, { checkpoint: run, logger: silent() });
    assert.ok(out.includes(`  data: the recipe's eval split (${split.data.records} records, ${split.data.tokens} tokens)`), out.join('\n'));
    assert.equal(await runCli(['evaluate', recipeFile, '--checkpoint', run, '--data', path.join(dir, 'nope.jsonl')], io), 1);
    assert.match(err.at(-1) as string, /--data .*nope\.jsonl: data file not found/);
  });

  it('a run folder of a recipe with relative data paths evaluates without a spurious "setting changed" warning', async () => {
    const recipeDir = fs.mkdtempSync(path.join(dir, 'relative-'));
    fs.copyFileSync(path.join(dir, 'train.jsonl'), path.join(recipeDir, 'train.jsonl'));
    const relRun = path.join(recipeDir, 'run');
    const base = tinyGptRecipe(relRun, { trainIters: 2 });
    const recipeFile = path.join(recipeDir, 'recipe.json');
    fs.writeFileSync(recipeFile, JSON.stringify({ ...base, data: { ...(base.data as object), sources: [{ type: 'jsonl', paths: ['train.jsonl'] }] } }));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runCli(['train', recipeFile], io), 0, err.join('\n'));
    err.length = 0;
    // recipe.resolved.yaml holds the data path absolute, the checkpoint's recipe.yaml as written.
    assert.equal(await runCli(['evaluate', relRun, '--json'], io), 0, err.join('\n'));
    assert.ok(!err.some((l) => /setting.* changed/.test(l)), err.join('\n'));
    // A real change is still reported.
    err.length = 0;
    fs.copyFileSync(path.join(dir, 'train.jsonl'), path.join(recipeDir, 'other.jsonl'));
    assert.equal(await runCli(['evaluate', recipeFile, '--checkpoint', relRun, '--set', 'data.sources[0].paths=other.jsonl', '--json'], io), 0, err.join('\n'));
    assert.ok(err.some((l) => /evaluating with 1 setting changed/.test(l)), err.join('\n'));
  });

  it('the CLI takes a run folder alone (its resolved recipe, newest checkpoint), and says what a recipe file lacks', async () => {
    const recipeFile = path.join(dir, 'recipe-only.json');
    fs.writeFileSync(recipeFile, JSON.stringify(recipe));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runCli(['evaluate', run, '--json'], io), 0, err.join('\n'));
    const printed = JSON.parse(out[0]) as { checkpoint: string; metrics: Record<string, number> };
    const direct = await evaluateJob(recipe, { checkpoint: run, logger: silent() });
    assert.equal(printed.checkpoint, direct.checkpoint);
    assert.deepEqual(printed.metrics, direct.metrics);
    assert.equal(await runCli(['evaluate', recipeFile], io), 1);
    assert.match(err.join('\n'), /floe evaluate needs --checkpoint with a recipe file .*; or give the run folder alone: floe evaluate <run folder>/);
    const empty = fs.mkdtempSync(path.join(dir, 'not-a-run-'));
    assert.equal(await runCli(['evaluate', empty], io), 1);
    assert.match(err.join('\n'), /is a folder without recipe\.resolved\.yaml, so not a run folder/);
  });

  it("the CLI takes a run's checkpoint folder (or its checkpoints folder) alone, and names a path that does not exist", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const step = path.join(run, 'checkpoints', 'step-000006');
    const direct = await evaluateJob(recipe, { checkpoint: step, logger: silent() });
    for (const given of [step, path.join(run, 'checkpoints')]) {
      out.length = 0;
      assert.equal(await runCli(['evaluate', given, '--json'], io), 0, err.join('\n'));
      assert.equal(out.length, 1, out.join('\n'));
      const printed = JSON.parse(out[0]) as { checkpoint: string; metrics: Record<string, number> };
      assert.equal(printed.checkpoint, direct.checkpoint);
      assert.deepEqual(printed.metrics, direct.metrics);
    }
    // A checkpoint folder with --checkpoint naming another one is ambiguous.
    out.length = 0;
    assert.equal(await runCli(['evaluate', step, '--checkpoint', run, '--json'], io), 1);
    assert.deepEqual(out, []);
    assert.match(err.at(-2) as string, /step-000006 is a checkpoint folder inside the run folder .*run, and --checkpoint .* names another checkpoint: give the run folder with --checkpoint/);
    // A checkpoint copied out of its run has no recipe to evaluate with.
    const lone = path.join(dir, 'lone-checkpoint');
    fs.cpSync(step, lone, { recursive: true });
    assert.equal(await runCli(['evaluate', lone], io), 1);
    assert.match(err.at(-2) as string, /lone-checkpoint is a checkpoint folder \(manifest\.json\) outside any run folder: give a recipe file \(and --checkpoint\)/);
    assert.equal(await runCli(['evaluate', path.join(dir, 'no-such-run'), '--json'], io), 1);
    assert.deepEqual(out, []);
    assert.match(err.at(-2) as string, /no-such-run does not exist \(resolved to .*no-such-run\): give a recipe file/);
    // A run that failed before its first save: the error says so, with the run's reason.
    const failed = path.join(dir, 'failed-run');
    fs.mkdirSync(failed);
    fs.copyFileSync(path.join(run, 'recipe.resolved.yaml'), path.join(failed, 'recipe.resolved.yaml'));
    fs.writeFileSync(path.join(failed, 'status.json'), JSON.stringify({ state: 'failed', step: 2, error: 'Non-finite loss (NaN) at step 2.' }));
    assert.equal(await runCli(['evaluate', failed, '--json'], io), 1);
    assert.deepEqual(out, []);
    assert.match(err.at(-1) as string, /^error: No Floe checkpoint at .*failed-run'.* The run failed at step 2 \(.*failed-run\/status\.json\): Non-finite loss \(NaN\) at step 2\. To evaluate this run's recipe on a checkpoint saved elsewhere, give it: floe evaluate .*failed-run --checkpoint <checkpoint folder>\.$/);
  });

  it("tabular data: a CSV file of the eval split's rows gives its metrics, with the checkpoint's normalization", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${((i * 37) % 101) / 100},${(i * 53) % 97},${i % 7}`);
    fs.writeFileSync(path.join(dir, 'train.csv'), ['a,b,y', ...rows].join('\n') + '\n');
    const table = {
      type: 'supervised',
      backend: 'cpu',
      quiet: true,
      seed: 5,
      epochs: 2,
      microBatchSize: 8,
      outputDir: path.join(dir, 'table-run'),
      data: { type: 'tabular', sources: [{ type: 'csv', paths: path.join(dir, 'train.csv'), features: ['a', 'b'], targets: ['y'] }] },
      model: { type: 'mlp', hidden: [] },
      optimizer: { type: 'adam', lr: 0.05 },
      checkpoint: [{ type: 'floe' }],
    };
    await runRecorded(table);
    const checkpoint = path.join(dir, 'table-run');
    const split = await evaluateJob(table, { checkpoint, logger: silent() });
    const held = trainEvalSplit(rows, { seed: 5, ratios: [0.8, 0.2] }).eval;
    const file = path.join(dir, 'held.csv');
    fs.writeFileSync(file, ['a,b,y', ...held].join('\n') + '\n');
    const whole = await evaluateJob(table, { checkpoint, logger: silent(), data: [file] });
    assert.deepEqual(whole.data, { files: [file], records: held.length });
    assert.deepEqual(split.data, { records: held.length });
    assert.deepEqual(whole.metrics, split.metrics);
    // A recipe of generated rows has no columns to read a file by.
    const generated = { ...table, data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'sine', count: 40 }] } };
    await assert.rejects(evaluateJob(generated, { checkpoint, logger: silent(), data: [file] }), /--data needs a csv or jsonl source in the recipe's data\.sources .* it has synthetic-tabular/);
    // A file without a column the recipe reads names the recipe setting that asks for it (the one a --set changes), not '--data FILE.features'.
    const twoSources = { ...table, data: { type: 'tabular', sources: [{ type: 'jsonl', paths: path.join(dir, 'x.jsonl'), features: ['a', 'b'], targets: ['y'] }, (table.data.sources as object[])[0]] } };
    const missing = path.join(dir, 'missing-column.csv');
    fs.writeFileSync(missing, 'a,y\n1,2\n');
    await assert.rejects(evaluateJob(twoSources, { checkpoint, logger: silent(), data: [missing] }), (e: Error) => {
      assert.ok(e.message.startsWith(`${missing}:1: feature column 'b' (data.sources[1].features[1]) is not in the header. Columns: a, y.`), e.message);
      return true;
    });
  });

  it("a plugin data factory that cannot read whole files is an error naming it, not its own split measured instead", async () => {
    const file = path.join(dir, 'held.csv');
    const tiny = { type: 'tiny', backend: 'cpu', quiet: true, outputDir: path.join(dir, 'tiny-run'), checkpoint: [] };
    // A checkpoint that exists (any run's): a missing one is refused first, before the data factory is built.
    await assert.rejects(evaluateJob(tiny, { checkpoint: run, logger: silent(), data: [file] }), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /data\.type: data factory 'tiny-regression' cannot evaluate whole files \(--data .*held\.csv\)/);
      return true;
    });
  });
});
