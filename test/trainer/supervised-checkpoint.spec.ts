import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  Callback,
  CallbackConfig,
  FloeCheckpointEngine,
  loadSupervisedPredictor,
  NormalizationStats,
  readFeatureRows,
  runJob,
  SupervisedTrainer,
  Trainer,
} from '../../src';
import { runCli } from '../../src/cli/main';
import { buildSupervisedTrainer, disposeTrainer, quietLogger, useTempDir, writeFile } from '../fixtures/supervised';

/** y = 100 + 50·a − 3·b on features of very different scales (a in [0, 1], b in [0, 1000]). */
function linearCsv(rows: number, scale = 1): string {
  const lines = ['a,b,y'];
  for (let i = 0; i < rows; i++) {
    const a = ((i * 37) % 101) / 100;
    const b = ((i * 53) % 97) * 10 * scale;
    lines.push(`${a},${b},${100 + 50 * a - 0.003 * b}`);
  }
  return `${lines.join('\n')}\n`;
}

const regressionRecipe = (csv: string) => ({
  type: 'supervised',
  backend: 'cpu',
  quiet: true,
  seed: 5,
  epochs: 60,
  microBatchSize: 16,
  maxGradNorm: 0,
  data: { type: 'tabular', sources: [{ type: 'csv', paths: csv, features: ['a', 'b'], targets: ['y'] }] },
  model: { type: 'mlp', hidden: [] },
  optimizer: { type: 'adam', lr: 0.05, weightDecay: 0 },
  checkpoint: [{ type: 'floe' }],
});

/** Records the trainer's own predictions (normalized in, denormalized out) for `rows` when training ends. */
class PredictionCapture extends Callback {
  values: number[][] = [];
  constructor(
    trainer: Trainer,
    private readonly rows: number[][],
  ) {
    super(trainer, new CallbackConfig());
  }
  override async onTrainEnd(): Promise<void> {
    const out = tf.tidy(() => (this.trainer as SupervisedTrainer).predictRaw(tf.tensor2d(this.rows)));
    this.values = (await out.array()) as number[][];
    out.dispose();
  }
}

const ROWS = [
  [0.25, 120],
  [0.9, 800],
  [0.5, 5],
];

describe('SupervisedTrainer checkpoints and prediction', () => {
  // One training run, shared by the tests below (they only read its checkpoint).
  const tmp = useTempDir('floe-supervised-', 'suite');
  let checkpoint: string;
  let trainedStats: NormalizationStats;
  let capture: PredictionCapture | undefined;

  before(async () => {
    writeFile(tmp(), 'train.csv', linearCsv(120));
    let trainer: SupervisedTrainer | undefined;
    const result = await runJob(
      { ...regressionRecipe('train.csv'), outputDir: path.join(tmp(), 'run') },
      {
        baseDir: tmp(),
        logger: quietLogger(),
        onTrainerReady: (t) => {
          trainer = t as SupervisedTrainer;
          capture = new PredictionCapture(t, ROWS);
          t.callbackList.callbacks.push(capture);
        },
      },
    );
    checkpoint = result.lastCheckpointPath as string;
    trainedStats = structuredClone((trainer as SupervisedTrainer).normalization);
  });

  it('saves the train-split normalization stats and the data schema in every checkpoint', () => {
    const saved = JSON.parse(fs.readFileSync(path.join(checkpoint, 'normalization.json'), 'utf8'));
    assert.equal(saved.format, 'floe-normalization');
    assert.deepEqual({ features: saved.features, targets: saved.targets }, trainedStats);
    assert.ok((trainedStats.features?.std[1] as number) > 100, 'b is on a large scale, so its std is large');
    const schema = JSON.parse(fs.readFileSync(path.join(checkpoint, 'data-schema.json'), 'utf8'));
    assert.deepEqual([schema.featureNames, schema.targetNames, schema.targetKind], [['a', 'b'], ['y'], 'values']);
    const manifest = JSON.parse(fs.readFileSync(path.join(checkpoint, 'manifest.json'), 'utf8'));
    assert.ok(manifest.files.some((f: { path: string }) => f.path === 'normalization.json'), 'the manifest checksums it too');
  });

  it('loading a checkpoint restores its stats, not the ones of the data at hand', async () => {
    writeFile(tmp(), 'other.csv', linearCsv(50, 7));
    const trainer = await buildSupervisedTrainer(regressionRecipe('other.csv'), tmp());
    try {
      assert.notDeepEqual(trainer.normalization, trainedStats);
      await (trainer.checkpointEngines[0] as FloeCheckpointEngine).load(checkpoint);
      assert.deepEqual(trainer.normalization, trainedStats);
    } finally {
      disposeTrainer(trainer);
    }
  });

  it('a predictor from the checkpoint gives the trainer’s own predictions, in the target’s units', async () => {
    const predictor = await loadSupervisedPredictor(checkpoint, { backend: 'cpu' });
    try {
      const predicted = (await predictor.predict(ROWS)).map((p) => p.y as number);
      predicted.forEach((v, i) => assert.ok(Math.abs(v - (capture as PredictionCapture).values[i][0]) < 1e-4, `row ${i}: ${v} vs ${(capture as PredictionCapture).values[i][0]}`));
      // Denormalized: close to the true y = 100 + 50a − 0.003b, not to a standardized value near 0.
      ROWS.forEach(([a, b], i) => assert.ok(Math.abs(predicted[i] - (100 + 50 * a - 0.003 * b)) < 0.5, `row ${i}: ${predicted[i]}`));
      assert.deepEqual(trainedStats, predictor.trainer.normalization);
    } finally {
      predictor.dispose();
    }
  });

  it('floe predict prints one JSON prediction per row, and names file:line and the column of a bad row', async () => {
    const input = writeFile(tmp(), 'rows.jsonl', '{"a": 0.25, "b": 120}\n[0.9, 800]\n\n{"b": 5, "a": "0.5", "extra": true}\n');
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', input, '--backend', 'cpu'], io), 0, err.join('\n'));
    assert.equal(out.length, 3);
    out.map((l) => JSON.parse(l).y as number).forEach((v, i) => assert.ok(Math.abs(v - (capture as PredictionCapture).values[i][0]) < 1e-4));

    const bad = writeFile(tmp(), 'bad.jsonl', '{"a": 1, "b": 2}\n{"a": 1, "c": 2}\n');
    assert.deepEqual(await readFeatureRows(input, ['a', 'b']), ROWS);
    err.length = 0;
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', bad, '--backend', 'cpu'], io), 1);
    assert.match(err.join('\n'), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: feature column 'b' \\(the trained model\\) is not in this row\\. Columns: a, c`));
  });
});

describe('SupervisedTrainer classification predictions', () => {
  const tmp = useTempDir();

  it('give the class id, its name and probabilities that sum to 1', async () => {
    const lines = ['x,side'];
    for (let i = 0; i < 80; i++) lines.push(`${(i - 40) / 10},${i < 40 ? 'left' : 'right'}`);
    writeFile(tmp(), 'sides.csv', `${lines.join('\n')}\n`);
    const result = await runJob(
      {
        type: 'supervised',
        backend: 'cpu',
        quiet: true,
        epochs: 20,
        microBatchSize: 16,
        outputDir: path.join(tmp(), 'run'),
        data: { type: 'tabular', sources: [{ type: 'csv', paths: 'sides.csv', features: ['x'], label: 'side', classes: ['left', 'right'] }] },
        model: { type: 'mlp', hidden: [8] },
        loss: { type: 'cross-entropy', labelSmoothing: 0.05 },
        optimizer: { type: 'adam', lr: 0.05, weightDecay: 0 },
      },
      { baseDir: tmp(), logger: quietLogger() },
    );
    assert.ok(result.metrics['eval/accuracy'] >= 0.9, `eval/accuracy ${result.metrics['eval/accuracy']}`);
    const predictor = await loadSupervisedPredictor(result.lastCheckpointPath as string, { backend: 'cpu' });
    try {
      const [left, right] = await predictor.predict([[-3], [3]]);
      assert.deepEqual([left.side, left.className, right.side, right.className], [0, 'left', 1, 'right']);
      for (const p of [left, right]) assert.ok(Math.abs((p.probabilities as number[]).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    } finally {
      predictor.dispose();
    }
  });
});
