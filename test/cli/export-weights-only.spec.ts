import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { QUIET_RUN, runRecorded } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';
import { cli } from '../support/cli-run';

describe('floe export --format tfjs of a model that exports no graph', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-export-weights-')));
  afterEach(() => cleanup());

  it("says the export holds weights only (no graph for tf.loadGraphModel), which its help's 'a graph model' did not lead one to expect", async () => {
    const run = path.join(dir, 'run');
    await runRecorded({
      type: 'supervised',
      backend: 'cpu',
      ...QUIET_RUN,
      epochs: 1,
      microBatchSize: 16,
      outputDir: run,
      data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'spirals', count: 32, classes: 2 }], trainEvalSplit: [1, 0] },
      model: { type: 'mlp', hidden: [4] },
      loss: { type: 'cross-entropy' },
      callbacks: [],
    });
    const out = path.join(dir, 'web');
    const exported = await cli('export', '--checkpoint', run, '--format', 'tfjs', '--out', out);
    assert.equal(exported.code, 0, exported.err.join('\n'));
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).modelTopology, undefined);
    assert.match(exported.out[0], / as tfjs to .*web \(weights only: a 'mlp' model exports no graph, so model\.json is not for tf\.loadGraphModel; a 'gpt' model's is\)$/);
    // safetensors is weights by name for every model: nothing to add.
    const st = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', path.join(dir, 'st'));
    assert.match(st.out[0], / as safetensors to \S+$/);
  });
});
