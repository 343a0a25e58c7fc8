import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, TabularBatch, TabularDataLoaders, validateRecipe } from '../../../src';
import { buildSupervisedTrainer, disposeTrainer, useTempDir, writeFile } from '../../fixtures/supervised';

/** Mean and population std of each column. */
function columnStats(rows: number[][]): { mean: number[]; std: number[] } {
  const n = rows.length;
  const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const std = rows[0].map((_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / n));
  return { mean, std };
}

/** Every row of a loader's epoch 0, as [features, targets]. */
async function loaderRows(loader: TabularDataLoaders['train']): Promise<{ x: number[][]; y: number[][] }> {
  const x: number[][] = [];
  const y: number[][] = [];
  for await (const batch of loader.batches(0) as Iterable<TabularBatch>) {
    x.push(...((await batch.features.array()) as number[][]));
    y.push(...((await batch.targets.array()) as number[][]));
    tf.dispose(batch as unknown as tf.TensorContainer);
  }
  return { x, y };
}

/** 60 rows: features around (10·i, 100 + i) and a target; the last rows are far off, so stats depend on the split. */
function csvText(): string {
  const lines = ['a,b,y'];
  for (let i = 0; i < 60; i++) lines.push(`${i * 10},${100 + (i % 7)},${i < 50 ? i : 1000 + i}`);
  return `${lines.join('\n')}\n`;
}

const recipe = (sources: unknown[], data: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({
  type: 'supervised',
  microBatchSize: 8,
  data: { type: 'tabular', sources, trainEvalSplit: [0.75, 0.25], ...data },
  model: { type: 'mlp', hidden: [4] },
  ...rest,
});

describe('TabularDataFactory', () => {
  const tmp = useTempDir();

  it('computes normalization stats on the train split only', async () => {
    writeFile(tmp(), 'd.csv', csvText());
    const trainer = await buildSupervisedTrainer(recipe([{ type: 'csv', paths: 'd.csv', features: ['a', 'b'], targets: ['y'] }]), tmp());
    try {
      const loaders = trainer.dataLoaders as TabularDataLoaders;
      const train = await loaderRows(loaders.train);
      const evalRows = await loaderRows(loaders.eval as TabularDataLoaders['train']);
      assert.equal(train.x.length, 45);
      assert.equal(evalRows.x.length, 15);
      const expectedX = columnStats(train.x);
      const expectedY = columnStats(train.y);
      const stats = trainer.normalization;
      assert.deepEqual(stats.features?.names, ['a', 'b']);
      stats.features?.mean.forEach((m, j) => assert.ok(Math.abs(m - expectedX.mean[j]) < 1e-9));
      stats.features?.std.forEach((s, j) => assert.ok(Math.abs(s - expectedX.std[j]) < 1e-9));
      assert.ok(Math.abs((stats.targets?.mean[0] as number) - expectedY.mean[0]) < 1e-9);
      assert.ok(Math.abs((stats.targets?.std[0] as number) - expectedY.std[0]) < 1e-9);
      // And they differ from the stats of all rows: the eval rows were left out.
      const all = columnStats([...train.y, ...evalRows.y]);
      assert.ok(Math.abs(all.mean[0] - expectedY.mean[0]) > 1e-3);
    } finally {
      disposeTrainer(trainer);
    }
  });

  it('leaves targets unnormalized for classification and counts classes from the labels', async () => {
    const trainer = await buildSupervisedTrainer(
      recipe([{ type: 'synthetic-tabular', generator: 'spirals', count: 90, classes: 3 }], {}, { loss: { type: 'cross-entropy' } }),
      tmp(),
    );
    try {
      assert.equal(trainer.schema.targetKind, 'class-id');
      assert.equal(trainer.schema.numClasses, 3);
      assert.equal(trainer.normalization.targets, undefined);
      assert.deepEqual(trainer.normalization.features?.names, ['x', 'y']);
      assert.equal(trainer.modelOutputSize, 3);
    } finally {
      disposeTrainer(trainer);
    }
  });

  it('refuses sources that give different columns, and class ids beyond numClasses', async () => {
    writeFile(tmp(), 'd.csv', csvText());
    const mixed = recipe([
      { type: 'csv', paths: 'd.csv', features: ['a', 'b'], targets: ['y'] },
      { type: 'csv', paths: 'd.csv', features: ['a'], targets: ['y'] },
    ]);
    await assert.rejects(buildSupervisedTrainer(mixed, tmp()), (e: unknown) => e instanceof DataError && /data\.sources\[1\] gives 1 features.*data\.sources\[0\] gives 2 features/.test((e as Error).message));
    writeFile(tmp(), 'c.csv', 'x,k\n1,0\n2,1\n3,4\n');
    const tooMany = recipe([{ type: 'csv', paths: 'c.csv', features: ['x'], label: 'k' }], { numClasses: 3 }, { loss: { type: 'cross-entropy' } });
    await assert.rejects(buildSupervisedTrainer(tooMany, tmp()), /c\.csv:4: column 'k' has class id 4, but data\.numClasses is 3/);
  });

  it('a bad column in a recipe names the file:line, the column and its config path', async () => {
    writeFile(tmp(), 'd.csv', csvText());
    const bad = recipe([{ type: 'csv', paths: 'd.csv', features: ['a', 'bb'], targets: ['y'] }]);
    await assert.rejects(buildSupervisedTrainer(bad, tmp()), /d\.csv:1: feature column 'bb' \(data\.sources\[0\]\.features\[1\]\) is not in the header.*Did you mean 'b'\?/);
  });

  it('a data path that gives no files is a config error at its paths entry', async () => {
    writeFile(tmp(), 'd.csv', csvText());
    const missing = recipe([{ type: 'csv', paths: ['d.csv', 'nope.csv'], features: ['a', 'b'], targets: ['y'] }]);
    await assert.rejects(buildSupervisedTrainer(missing, tmp()), (e: unknown) => e instanceof ConfigError && /^Invalid recipe: data\.sources\[0\]\.paths\[1\]: nope\.csv: data file not found/.test((e as Error).message));
  });

  it('sources with no rows name their paths (a JSONL file has no header to blame)', async () => {
    writeFile(tmp(), 'e.jsonl', '\n\n');
    const empty = recipe([{ type: 'jsonl', paths: 'e.jsonl', features: ['a'], targets: ['y'] }]);
    await assert.rejects(buildSupervisedTrainer(empty, tmp()), (e: unknown) => e instanceof DataError && (e as Error).message === "data.sources gave no rows: data.sources[0] (jsonl: e.jsonl). Check that the files have data rows (a CSV file's header does not count; blank lines are skipped)");
  });

  it('a train split smaller than one batch with dropLast: true is a config error at data.dropLast', async () => {
    writeFile(tmp(), 'small.csv', 'a,b,y\n1,2,3\n4,5,6\n7,8,9\n');
    const small = recipe([{ type: 'csv', paths: 'small.csv', features: ['a', 'b'], targets: ['y'] }], { dropLast: true, trainEvalSplit: [1, 0] });
    await assert.rejects(buildSupervisedTrainer(small, tmp()), (e: unknown) => e instanceof ConfigError && /^Invalid recipe: data\.dropLast: the train split has 3 rows, fewer than one batch \(microBatchSize 8\)/.test((e as Error).message));
  });

  it('a loss that does not fit the targets is a config error at loss.type', async () => {
    const regressionOnLabels = recipe([{ type: 'synthetic-tabular', generator: 'spirals', count: 30 }], {}, { loss: { type: 'mse' } });
    await assert.rejects(buildSupervisedTrainer(regressionOnLabels, tmp()), (e: unknown) => e instanceof ConfigError && /loss\.type: loss 'mse' fits numbers, but the data has a label column 'class'/.test((e as Error).message));
  });
});

describe('tabular source configs', () => {
  const base = (source: Record<string, unknown>) => ({ type: 'supervised', data: { type: 'tabular', sources: [source] } });

  it('a tabular source must name its type', async () => {
    await assert.rejects(validateRecipe(base({ paths: 'd.csv', features: ['a'], targets: ['y'] })), /data\.sources\[0\]\.type: missing 'type': name the tabular source \(csv, jsonl or synthetic-tabular\)/);
  });

  it('a file source needs targets or label, not both, and no column twice', async () => {
    await assert.rejects(validateRecipe(base({ type: 'csv', paths: 'd.csv', features: ['a'] })), /data\.sources\[0\]\.targets: missing: give 'targets: \[columns\]'.*or 'label: column'/);
    await assert.rejects(validateRecipe(base({ type: 'jsonl', paths: 'd.jsonl', features: ['a'], targets: ['y'], label: 'k' })), /give either 'targets: \[columns\]' \(values\) or 'label: column' \(class ids\), not both/);
    await assert.rejects(validateRecipe(base({ type: 'csv', paths: 'd.csv', features: ['a', 'y'], targets: ['y'] })), /column 'y' is used twice/);
    await assert.rejects(validateRecipe(base({ type: 'csv', paths: 'd.csv', features: ['a'], targets: 'y' })), /targets: must be a non-empty list of column names, got "y"/);
    // An empty column name would only fail when the file is read.
    await assert.rejects(validateRecipe(base({ type: 'csv', paths: 'd.csv', features: ['a', ''], targets: ['y'] })), /features: column names must not be empty, got \["a",""\]/);
    await assert.rejects(validateRecipe(base({ type: 'csv', paths: 'd.csv', features: ['a'], targets: [''] })), /targets: must be a non-empty list of column names, got \[""\]/);
    await assert.rejects(validateRecipe(base({ type: 'jsonl', paths: 'd.jsonl', features: ['a'], label: '' })), /label: a column name must not be empty/);
  });

  it('a csv delimiter is one character; a tab may be written \\t or tab', async () => {
    for (const written of ['\t', '\\t', 'tab']) {
      const resolved = await validateRecipe(base({ type: 'csv', paths: 'd.csv', features: ['a'], targets: ['y'], delimiter: written }));
      assert.equal((resolved.config.data as unknown as { sources: Array<{ delimiter?: string }> }).sources[0].delimiter, '\t', JSON.stringify(written));
    }
    await assert.rejects(validateRecipe(base({ type: 'csv', paths: 'd.csv', features: ['a'], targets: ['y'], delimiter: ';;' })), /data\.sources\[0\]\.delimiter: must be one character, such as ',', ';', '\|' or a tab \("\\t" or tab\)/);
  });

  it('tabular and text sources are separate registries: type jsonl means the tabular reader under tabular data', async () => {
    const { config } = await validateRecipe(base({ type: 'jsonl', paths: 'd.jsonl', features: ['a'], targets: ['y'] }));
    const source = (config.data as unknown as { sources: Array<{ constructor: { name: string } }> }).sources[0];
    assert.equal(source.constructor.name, 'JsonlTabularSourceConfig');
    await assert.rejects(validateRecipe(base({ type: 'synthetic', task: 'addition' })), /data\.sources\[0\]\.type 'synthetic' is not supported.*Supported: csv, jsonl, synthetic-tabular/);
  });
});
