import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { CheckpointError, evaluateJob, Logger } from '../../src';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { cli } from '../support/cli-run';


const jsonl = (records: readonly object[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('floe evaluate (CLI)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-evaluate-cli-'));
    run = path.join(dir, 'run');
    const texts = Array.from({ length: 40 }, (_, i) => 'helowrd'.slice(i % 4, 3 + (i % 5)).repeat(1 + (i % 3)));
    fs.writeFileSync(path.join(dir, 'train.jsonl'), jsonl(texts.map((text) => ({ text }))));
    const base = tinyGptRecipe(run, { trainIters: 4, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }] });
    await runRecorded({ ...base, data: { ...(base.data as object), sources: [{ type: 'jsonl', paths: [path.join(dir, 'train.jsonl')] }] } });
  });
  after(() => cleanup());

  describe('a run folder without a checkpoint', () => {
    let empty: string;
    before(() => {
      // The run's recipe, reading a data file that is gone: reading the data first would fail on it.
      empty = path.join(dir, 'no-checkpoint-run');
      fs.mkdirSync(empty);
      const recipe = parseYaml(fs.readFileSync(path.join(run, 'recipe.resolved.yaml'), 'utf8')) as { quiet: boolean; data: { sources: Array<{ paths: string[] }> } };
      recipe.quiet = false;
      recipe.data.sources[0].paths = [path.join(dir, 'gone.jsonl')];
      fs.writeFileSync(path.join(empty, 'recipe.resolved.yaml'), toYaml(recipe));
    });

    it('fails before the data and the model are built, naming the folder, where it looked and --checkpoint', async () => {
      const { code, out, err } = await cli('evaluate', empty);
      assert.equal(code, 1);
      assert.deepEqual(out, []);
      assert.equal(err.length, 1, err.join('\n'));
      const rel = path.relative(process.cwd(), empty);
      assert.ok(err[0].startsWith(`error: No Floe checkpoint at '${empty}': expected a checkpoint folder (with manifest.json), a folder of step-N checkpoints, or a run folder; found no complete step-N checkpoint in ${rel}, ${path.join(rel, 'checkpoints')}.`), err[0]);
      assert.ok(err[0].endsWith(` To evaluate this run's recipe on a checkpoint saved elsewhere, give it: floe evaluate ${empty} --checkpoint <checkpoint folder>.`), err[0]);
      // Nothing was read or built: no data notes, no 'model: N parameters', no word of the missing data file.
      assert.doesNotMatch(err[0], /gone\.jsonl/);
      // The API fails the same way, with the checkpoint error and no tensors made.
      const tensors = tf.memory().numTensors;
      await assert.rejects(evaluateJob(path.join(empty, 'recipe.resolved.yaml'), { checkpoint: empty, logger: new Logger({ sink: () => undefined }) }), (error: unknown) => {
        assert.ok(error instanceof CheckpointError, String(error));
        assert.match(error.message, /^No Floe checkpoint at '.*no-checkpoint-run'/);
        return true;
      });
      assert.equal(tf.memory().numTensors, tensors);
    });

    it("its checkpoints folder names the run folder to give with --checkpoint; a run still going says it has not saved yet", async () => {
      fs.mkdirSync(path.join(empty, 'checkpoints'), { recursive: true });
      const checkpoints = await cli('evaluate', path.join(empty, 'checkpoints'));
      assert.equal(checkpoints.code, 1);
      assert.match(checkpoints.err.at(-1) as string, /^error: No Floe checkpoint at '.*no-checkpoint-run\/checkpoints'.* give it: floe evaluate \S*no-checkpoint-run --checkpoint <checkpoint folder>\.$/);
      fs.writeFileSync(path.join(empty, 'status.json'), JSON.stringify({ state: 'running', step: 3, totalSteps: 40 }));
      try {
        const live = await cli('evaluate', empty);
        assert.equal(live.code, 1);
        assert.match(live.err.at(-1) as string, / The run is still going \(step 3 of 40, .*no-checkpoint-run\/status\.json\) and has saved no checkpoint yet: evaluate it once it has\. To evaluate this run's recipe/);
      } finally {
        fs.rmSync(path.join(empty, 'status.json'));
      }
    });
  });

  describe('a run folder whose recipe.resolved.yaml was deleted', () => {
    it("says the run's recipe.resolved.yaml is missing and what to give instead, not that the checkpoint is outside any run folder", async () => {
      const copy = path.join(dir, 'run-without-recipe');
      fs.cpSync(run, copy, { recursive: true });
      fs.rmSync(path.join(copy, 'recipe.resolved.yaml'));
      const step = path.join(copy, 'checkpoints', 'step-000004');
      const missing = path.join(copy, 'recipe.resolved.yaml');
      const fromCheckpoint = await cli('evaluate', step);
      assert.equal(fromCheckpoint.code, 1);
      assert.deepEqual(fromCheckpoint.out, []);
      assert.equal(
        fromCheckpoint.err[0],
        `error: ${step} is a checkpoint folder in the run folder ${copy}, but that run's ${missing} is missing (floe train writes it; it is the recipe to evaluate with): ` +
          `give the recipe file the run was trained with, and the checkpoint: floe evaluate <recipe.yaml> --checkpoint ${step}`,
      );
      const fromCheckpoints = await cli('evaluate', path.join(copy, 'checkpoints'));
      assert.ok(fromCheckpoints.err[0].startsWith(`error: ${path.join(copy, 'checkpoints')} is a folder in the run folder ${copy}, but that run's ${missing} is missing`), fromCheckpoints.err[0]);
      const fromRun = await cli('evaluate', copy);
      assert.ok(fromRun.err[0].startsWith(`error: ${copy} is a run folder, but its ${missing} is missing (floe train writes it; it is the recipe to evaluate with): `), fromRun.err[0]);
      assert.ok(fromRun.err[0].endsWith(`floe evaluate <recipe.yaml> --checkpoint ${copy}`), fromRun.err[0]);
    });
  });

  describe('--data of the wrong kind', () => {
    it("names the --set that changes the recipe source reading it (not 'on the source'), and that --set works", async () => {
      const wrong = path.join(dir, 'wrong.jsonl');
      fs.writeFileSync(wrong, jsonl([{ body: 'hello world' }, { body: 'lower' }]));
      const { code, err } = await cli('evaluate', run, '--data', wrong);
      assert.equal(code, 1);
      const message = err.join('\n');
      assert.match(message, /wrong\.jsonl:1: expected a field 'text' .* found fields 'body'\. If the data names them differently, add --set 'data\.sources\[0\]\.fields=\{ \.\.\. \}'\./);
      assert.match(message, /\nFix the data, or add --set 'data\.sources\[0\]\.skipInvalid=true' to skip bad lines \(they are counted and the first ones reported\)\.$/);
      assert.doesNotMatch(message, /on the source/);
      // The overrides it names are the ones that read the file.
      const mapped = await cli('evaluate', run, '--data', wrong, '--set', 'data.sources[0].fields={text: body}', '--json');
      assert.equal(mapped.code, 0, mapped.err.join('\n'));
      assert.equal((JSON.parse(mapped.out[0]) as { data: { records: number } }).data.records, 2);
      const mixed = path.join(dir, 'mixed.jsonl');
      fs.writeFileSync(mixed, jsonl([{ text: 'hello' }, { body: 'x' }, { text: 'world' }]));
      const skipping = await cli('evaluate', run, '--data', mixed, '--set', 'data.sources[0].skipInvalid=true', '--json');
      assert.equal(skipping.code, 0, skipping.err.join('\n'));
      assert.equal((JSON.parse(skipping.out[0]) as { data: { records: number } }).data.records, 2);
    });

    it('a file of a kind no recipe source reads says which source read it and what that source reads', async () => {
      const table = path.join(dir, 'table.csv');
      fs.writeFileSync(table, 'a,b\n1,2\n');
      const { code, err } = await cli('evaluate', run, '--data', table);
      assert.equal(code, 1);
      assert.ok((err.at(-1) as string).endsWith(` --data ${table} is read with the settings of data.sources[0] (jsonl: JSON Lines, one object per line), as the recipe has no csv source.`), err.join('\n'));
    });

    it('floe train keeps the recipe hint', async () => {
      const recipe = parseYaml(fs.readFileSync(path.join(run, 'recipe.resolved.yaml'), 'utf8')) as Record<string, unknown> & { data: { sources: Array<{ paths: string[] }> } };
      recipe.outputDir = path.join(dir, 'train-wrong');
      recipe.data.sources[0].paths = [path.join(dir, 'wrong.jsonl')];
      const file = path.join(dir, 'train-wrong.yaml');
      fs.writeFileSync(file, toYaml(recipe));
      const { code, err } = await cli('train', file);
      assert.equal(code, 1);
      const message = err.join('\n');
      assert.match(message, /If the data names them differently, set fields: \{ \.\.\. \} on the source\./);
      assert.match(message, /Fix the data, or set skipInvalid: true on the source to skip bad lines/);
      assert.doesNotMatch(message, /--set/);
    });

    it("tabular data: a header split at the wrong delimiter names the --set of the source's delimiter", async () => {
      const rows = Array.from({ length: 24 }, (_, i) => `${(i % 7) / 7},${(i * 5) % 11},${i % 3}`);
      fs.writeFileSync(path.join(dir, 'train.csv'), ['a,b,y', ...rows].join('\n') + '\n');
      const table = {
        type: 'supervised',
        backend: 'cpu',
        quiet: true,
        seed: 5,
        epochs: 1,
        microBatchSize: 8,
        outputDir: path.join(dir, 'table-run'),
        data: { type: 'tabular', sources: [{ type: 'csv', paths: path.join(dir, 'train.csv'), features: ['a', 'b'], targets: ['y'] }] },
        model: { type: 'mlp', hidden: [] },
        checkpoint: [{ type: 'floe' }],
      };
      await runRecorded(table);
      const semicolons = path.join(dir, 'semicolons.csv');
      fs.writeFileSync(semicolons, ['a;b;y', ...rows.map((r) => r.replace(/,/g, ';'))].join('\n') + '\n');
      const { code, err } = await cli('evaluate', table.outputDir, '--data', semicolons);
      assert.equal(code, 1);
      assert.match(err.at(-1) as string, /The header is one cell split at ',', but it holds ';': if that separates the columns, add --set 'data\.sources\[0\]\.delimiter=";"'\.$/);
      const fixed = await cli('evaluate', table.outputDir, '--data', semicolons, '--set', 'data.sources[0].delimiter=";"', '--json');
      assert.equal(fixed.code, 0, fixed.err.join('\n'));
      assert.equal((JSON.parse(fixed.out[0]) as { data: { records: number } }).data.records, rows.length);
    });
  });
});
