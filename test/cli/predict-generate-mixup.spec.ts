import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, runJob } from '../../src';
import { runCli } from '../../src/cli/main';
import { useTempDir, writeFile } from '../fixtures/supervised';

/** Runs the CLI, returning its exit code and its stderr lines. */
async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await runCli(args, { out: () => undefined, err: (l) => err.push(l) });
  return { code, err: err.join('\n') };
}

describe('floe predict and floe generate given the other kind of checkpoint', () => {
  const tmp = useTempDir('floe-mixup-', 'suite');
  const quiet = { logger: new Logger({ sink: () => undefined }) };
  let lm: string;
  let supervised: string;

  before(async () => {
    const lmResult = await runJob(
      {
        type: 'sft',
        backend: 'cpu',
        distributed: 'none',
        trainIters: 2,
        microBatchSize: 4,
        quiet: true,
        report: false,
        outputDir: path.join(tmp(), 'lm'),
        data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 50, maxDigits: 1 }], maxLength: 16, cache: false },
        model: { type: 'gpt', layers: 1, heads: 1, dim: 8, maxLength: 16 },
      },
      quiet,
    );
    lm = lmResult.lastCheckpointPath as string;
    const csv = writeFile(tmp(), 'train.csv', 'a,y\n1,2\n2,4\n3,6\n4,8\n');
    const supResult = await runJob(
      {
        type: 'supervised',
        backend: 'cpu',
        quiet: true,
        report: false,
        epochs: 1,
        microBatchSize: 4,
        outputDir: path.join(tmp(), 'sup'),
        data: { type: 'tabular', sources: [{ type: 'csv', paths: csv, features: ['a'], targets: ['y'] }] },
        model: { type: 'mlp', hidden: [] },
        checkpoint: [{ type: 'floe' }],
      },
      { ...quiet, baseDir: tmp() },
    );
    supervised = supResult.lastCheckpointPath as string;
  });

  it("floe predict on a language model's checkpoint points to floe generate (was: only 'needs a supervised trainer's checkpoint')", async () => {
    const rows = writeFile(tmp(), 'rows.jsonl', '{"a": 1}\n');
    const before = tf.memory().numTensors;
    const { code, err } = await cli(['predict', '--checkpoint', lm, '--input', rows, '--backend', 'cpu']);
    assert.equal(code, 1);
    assert.equal(
      err,
      `error: ${lm} was trained by trainer 'sft'; prediction from feature rows needs the checkpoint of a supervised trainer (type supervised, or a trainer extending it); it is a language model: generate text from it with floe generate ${lm} --prompt "..."`,
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it("floe generate on a supervised checkpoint points to floe predict (was: only 'use a language-model checkpoint')", async () => {
    const before = tf.memory().numTensors;
    const { code, err } = await cli(['generate', '--checkpoint', supervised, '--prompt', 'x', '--backend', 'cpu']);
    assert.equal(code, 1);
    assert.equal(
      err,
      `error: checkpoint ${supervised} holds a 'mlp' model, which does not generate text; use a language-model checkpoint (model type gpt); it was trained on feature rows (trainer 'supervised'): predict with floe predict ${supervised} --input rows.jsonl`,
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
