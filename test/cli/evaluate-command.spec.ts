import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { CheckpointError, evaluateJob, Logger } from '../../src';
import { runCli } from '../../src/cli/main';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';

/** What one in-process CLI run printed and returned. */
interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

async function cli(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

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
});
