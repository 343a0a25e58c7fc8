import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, FloeCheckpointEngine, loadSupervisedPredictor, readFeatureRows, readSafetensorsTensors, runJob, writeManifest } from '../../src';
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

const ROWS = [
  [0.25, 120],
  [0.9, 800],
  [0.5, 5],
];

/**
 * What the checkpoint's linear model predicts for `rows`, computed here from its saved weights and
 * stats: standardize the features, x·W + b, then undo the target standardization.
 */
async function expectedFromCheckpoint(dir: string, rows: number[][]): Promise<number[]> {
  const stats = JSON.parse(fs.readFileSync(path.join(dir, 'normalization.json'), 'utf8'));
  const weights = await readSafetensorsTensors(path.join(dir, 'model.safetensors'));
  const w = (await weights.get('output.weight')?.array()) as number[][];
  const b = (await weights.get('output.bias')?.array()) as number[];
  tf.dispose([...weights.values()]);
  return rows.map((row) => {
    const z = row.reduce((s, v, i) => s + ((v - stats.features.mean[i]) / stats.features.std[i]) * w[i][0], b[0]);
    return z * stats.targets.std[0] + stats.targets.mean[0];
  });
}

describe('SupervisedTrainer checkpoints and prediction', () => {
  // One training run, shared by the tests below (they only read its checkpoint).
  const tmp = useTempDir('floe-supervised-', 'suite');
  let checkpoint: string;
  let expected: number[];

  before(async () => {
    writeFile(tmp(), 'train.csv', linearCsv(120));
    const result = await runJob({ ...regressionRecipe('train.csv'), outputDir: path.join(tmp(), 'run') }, { baseDir: tmp(), logger: quietLogger() });
    checkpoint = result.lastCheckpointPath as string;
    expected = await expectedFromCheckpoint(checkpoint, ROWS);
  });

  it('saves the train-split normalization stats and the data schema in every checkpoint', async () => {
    const saved = JSON.parse(fs.readFileSync(path.join(checkpoint, 'normalization.json'), 'utf8'));
    assert.equal(saved.format, 'floe-normalization');
    // The same recipe and seed give the same split: its stats are the ones saved.
    const trainer = await buildSupervisedTrainer(regressionRecipe('train.csv'), tmp());
    try {
      assert.deepEqual({ features: saved.features, targets: saved.targets }, trainer.normalization);
    } finally {
      disposeTrainer(trainer);
    }
    assert.ok(saved.features.std[1] > 100, 'b is on a large scale, so its std is large');
    const schema = JSON.parse(fs.readFileSync(path.join(checkpoint, 'data-schema.json'), 'utf8'));
    assert.deepEqual([schema.featureNames, schema.targetNames, schema.targetKind], [['a', 'b'], ['y'], 'values']);
    const manifest = JSON.parse(fs.readFileSync(path.join(checkpoint, 'manifest.json'), 'utf8'));
    assert.ok(manifest.files.some((f: { path: string }) => f.path === 'normalization.json'), 'the manifest checksums it too');
  });

  it('loading a checkpoint restores its stats, not the ones of the data at hand', async () => {
    const saved = JSON.parse(fs.readFileSync(path.join(checkpoint, 'normalization.json'), 'utf8'));
    writeFile(tmp(), 'other.csv', linearCsv(50, 7));
    const trainer = await buildSupervisedTrainer(regressionRecipe('other.csv'), tmp());
    try {
      assert.notDeepEqual(trainer.normalization.features, saved.features);
      await (trainer.checkpointEngines[0] as FloeCheckpointEngine).load(checkpoint);
      assert.deepEqual(trainer.normalization, { features: saved.features, targets: saved.targets });
    } finally {
      disposeTrainer(trainer);
    }
  });

  it('loading a checkpoint whose normalization lacks stats the recipe standardizes is an error (resuming went on in other units)', async () => {
    const copy = path.join(tmp(), 'no-target-stats');
    fs.cpSync(checkpoint, copy, { recursive: true });
    const saved = JSON.parse(fs.readFileSync(path.join(checkpoint, 'normalization.json'), 'utf8'));
    fs.writeFileSync(path.join(copy, 'normalization.json'), JSON.stringify({ ...saved, targets: undefined }));
    await writeManifest(copy);
    const trainer = await buildSupervisedTrainer(regressionRecipe('train.csv'), tmp());
    try {
      await assert.rejects((trainer.checkpointEngines[0] as FloeCheckpointEngine).load(copy), (e: Error) => {
        assert.ok(e instanceof CheckpointError, String(e));
        assert.ok(e.message.startsWith(`Checkpoint '${copy}': normalization.json has no stats for the targets (data.normalizeTargets), which the recipe standardizes: `), e.message);
        return true;
      });
    } finally {
      disposeTrainer(trainer);
    }
  });

  it('loading a checkpoint with the data giving its features in another order is an error (each input read another column)', async () => {
    writeFile(tmp(), 'swapped.csv', linearCsv(120).replace('a,b,y', 'b,a,y'));
    const recipe = regressionRecipe('swapped.csv');
    recipe.data.sources[0].features = ['b', 'a'];
    const trainer = await buildSupervisedTrainer(recipe, tmp());
    try {
      await assert.rejects((trainer.checkpointEngines[0] as FloeCheckpointEngine).load(checkpoint), (e: Error) => {
        assert.equal(
          e.message,
          `Checkpoint '${checkpoint}': the checkpoint's model takes its features in the order (a, b), but the data gives (b, a): 'b', 'a' would feed another input. List the features in the checkpoint's order (data.sources[].features).`,
        );
        return true;
      });
    } finally {
      disposeTrainer(trainer);
    }
  });

  it('a predictor from the checkpoint applies the saved stats and gives values in the target’s units', async () => {
    const predictor = await loadSupervisedPredictor(checkpoint, { backend: 'cpu' });
    try {
      const predicted = (await predictor.predict(ROWS)).map((p) => p.y as number);
      predicted.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-3, `row ${i}: ${v} vs ${expected[i]}`));
      // Denormalized: close to the true y = 100 + 50a − 0.003b, not to a standardized value near 0.
      ROWS.forEach(([a, b], i) => assert.ok(Math.abs(predicted[i] - (100 + 50 * a - 0.003 * b)) < 0.5, `row ${i}: ${predicted[i]}`));
    } finally {
      predictor.dispose();
    }
  });

  it('a checkpoint without the normalization its recipe used is an error naming the file, not predictions in standardized units', async () => {
    const copy = path.join(tmp(), 'no-normalization');
    fs.cpSync(checkpoint, copy, { recursive: true });
    const file = path.join(copy, 'normalization.json');
    fs.rmSync(file);
    await writeManifest(copy);
    await assert.rejects(loadSupervisedPredictor(copy, { backend: 'cpu' }), (e: Error) => e instanceof CheckpointError && e.message.startsWith(`${file} is missing, but the checkpoint's recipe standardizes the features (data.normalizeFeatures) and targets (data.normalizeTargets)`));
    // Stats for the features only: the targets' are missing.
    const saved = JSON.parse(fs.readFileSync(path.join(checkpoint, 'normalization.json'), 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...saved, targets: undefined }));
    await writeManifest(copy);
    await assert.rejects(loadSupervisedPredictor(copy, { backend: 'cpu' }), (e: Error) => e instanceof CheckpointError && e.message.startsWith(`${file} has no stats for the targets (data.normalizeTargets)`));
  });

  it('floe export writes a supervised checkpoint\'s weights bit for bit (its model is sized from the saved schema)', async () => {
    const out = `${tmp()}/exported`;
    const err: string[] = [];
    const code = await runCli(['export', '--checkpoint', checkpoint, '--format', 'safetensors', '--out', out], { out: () => undefined, err: (l) => err.push(l) });
    assert.equal(code, 0, err.join('\n'));
    const exported = await readSafetensorsTensors(path.join(out, 'model.safetensors'));
    const saved = await readSafetensorsTensors(path.join(checkpoint, 'model.safetensors'));
    try {
      assert.deepEqual([...exported.keys()].sort(), [...saved.keys()].sort());
      for (const [name, t] of saved) assert.deepEqual(await exported.get(name)?.data(), await t.data(), name);
    } finally {
      tf.dispose([...exported.values(), ...saved.values()]);
    }
    const config = JSON.parse(fs.readFileSync(path.join(out, 'model-config.json'), 'utf8'));
    assert.deepEqual([config.type, config.options.inputSize, config.options.outputSize], ['mlp', 2, 1]);
  });

  it('floe predict prints one JSON prediction per row (from a checkpoint or its run folder), and names file:line and the column of a bad row', async () => {
    const input = writeFile(tmp(), 'rows.jsonl', '{"a": 0.25, "b": 120}\n[0.9, 800]\n\n{"b": 5, "a": "0.5", "extra": true}\n');
    assert.deepEqual(await readFeatureRows(input, ['a', 'b']), ROWS);
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', input, '--backend', 'cpu'], io), 0, err.join('\n'));
    assert.equal(out.length, 3);
    out.map((l) => JSON.parse(l).y as number).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-3));
    const runFolder = path.join(tmp(), 'run');
    const fromRun: string[] = [];
    assert.equal(await runCli(['predict', '--checkpoint', runFolder, '--input', input, '--backend', 'cpu'], { out: (l) => fromRun.push(l), err: (l) => err.push(l) }), 0);
    assert.deepEqual(fromRun, out);

    const bad = writeFile(tmp(), 'bad.jsonl', '{"a": 1, "b": 2}\n{"a": 1, "c": 2}\n');
    err.length = 0;
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', bad, '--backend', 'cpu'], io), 1);
    assert.ok(err.join('\n').includes(`${bad}:2: feature column 'b' (the trained model) is not in this row. Columns: a, c. Fix the rows; nothing was predicted.`), err.join('\n'));

    const several = writeFile(tmp(), 'several.jsonl', '{"a": 1, "b": 2}\n[1]\n{"a": "x", "b": 2}\nnope\n[1, 5e38]\n');
    err.length = 0;
    out.length = 0;
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', several, '--backend', 'cpu'], io), 1);
    assert.deepEqual(out, [], 'nothing is predicted from a file with bad rows');
    const message = err.join('\n');
    assert.match(message, /^error: 4 bad input lines:\n/);
    for (const part of [`${several}:2: expected 2 numbers (a, b), got 1`, `${several}:3: column 'a' has "x", which is not a number`, `${several}:4`, `${several}:5: column 'b' has 5e+38, which is out of range`, 'nothing was predicted']) {
      assert.ok(message.includes(part), `${message} lacks ${part}`);
    }

    // CSV under a name that is not .csv: every line says what a line must hold, and how to read CSV.
    const csv = writeFile(tmp(), 'rows.txt', 'a,b\n0.25,120\n');
    err.length = 0;
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', csv, '--backend', 'cpu'], io), 1);
    assert.ok(err.join('\n').includes(`${csv}:2:5: invalid JSON (expected an object keyed by a, b, or an array of 2 numbers): `), err.join('\n'));
    assert.ok(err.join('\n').includes('For a CSV file with a header row, name it .csv or pass --format csv'), err.join('\n'));

    const blank = writeFile(tmp(), 'blank.jsonl', '\n  \n');
    err.length = 0;
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', blank, '--backend', 'cpu'], io), 1);
    assert.ok(err.join('\n').includes(`${blank}: no feature rows (the file is empty or only blank lines); nothing to predict`), err.join('\n'));
  });
  it('floe predict reads a .csv input as the training source does, with predictions bit-identical to the same rows as JSONL', async () => {
    const jsonl = writeFile(tmp(), 'same.jsonl', '{"a": 0.25, "b": 120}\n{"a": 0.9, "b": 800}\n{"a": 0.5, "b": 5}\n');
    // Columns in another order, the target column and an extra one: read by name, as in training.
    const csv = writeFile(tmp(), 'same.csv', 'id,b,y,a\nr1,120,,0.25\nr2,"800",1,0.9\n\nr3,5,2,.5\n');
    const run = async (args: string[]): Promise<string[]> => {
      const out: string[] = [];
      const err: string[] = [];
      assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--backend', 'cpu', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }), 0, err.join('\n'));
      return out;
    };
    const fromJsonl = await run(['--input', jsonl]);
    assert.equal(fromJsonl.length, 3);
    assert.deepEqual(await run(['--input', csv]), fromJsonl);
    // --format overrides the name; --delimiter reads another separator.
    const semi = writeFile(tmp(), 'same.txt', 'a;b\n0.25;120\n0.9;800\n0.5;5\n');
    assert.deepEqual(await run(['--input', semi, '--format', 'csv', '--delimiter', ';']), fromJsonl);
    const tsv = writeFile(tmp(), 'same.tsv', 'a\tb\n0.25\t120\n0.9\t800\n0.5\t5\n');
    assert.deepEqual(await run(['--input', tsv]), fromJsonl);
  });

  it('floe predict names a bad CSV header or row at file:line:col and predicts nothing', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const header = writeFile(tmp(), 'header.csv', 'a,bb\n1,2\n');
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', header, '--backend', 'cpu'], io), 1);
    assert.ok(err.join('\n').includes(`${header}:1: feature column 'b' (the trained model) is not in the header. Columns: a, bb. Did you mean 'bb'? The model reads the features a, b.`), err.join('\n'));
    err.length = 0;
    const rows = writeFile(tmp(), 'rows-bad.csv', 'a,b\n1,2\n1, x\n1,2,3\n');
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', rows, '--backend', 'cpu'], io), 1);
    const message = err.join('\n');
    assert.match(message, /^error: 2 bad input lines:\n/);
    for (const part of [`${rows}:3:3: column 'b' has "x", which is not a number`, `${rows}:4:5: expected 2 cells like the header (a, b), got 3`, 'nothing was predicted']) {
      assert.ok(message.includes(part), `${message}\nlacks ${part}`);
    }
    err.length = 0;
    const onlyHeader = writeFile(tmp(), 'only-header.csv', 'a,b\n');
    assert.equal(await runCli(['predict', '--checkpoint', checkpoint, '--input', onlyHeader, '--backend', 'cpu'], io), 1);
    assert.ok(err.join('\n').includes(`${onlyHeader}: no feature rows (the file has a header and no rows); nothing to predict`), err.join('\n'));
    assert.deepEqual(out, []);
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
