import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runJob } from '../../src';
import { dpoRecipe } from './dpo-recipe';

/** The records of a run's metrics.jsonl with `event`. */
function records(dir: string, event: string): Array<Record<string, number>> {
  return fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.event === event);
}

const METRICS = ['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/accuracy', 'rewards/margin'];

describe('DPOTrainer data parallel', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dpo-dp-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('2 workers log the same loss, rewards and eval figures as one process with one batch of the same pairs', async () => {
    // 22 train pairs in batches of 4: the epoch's last batch holds 2 pairs, so weights by pairs matter.
    const data = { sources: [{ type: 'synthetic', task: 'addition-preference', count: 26, maxDigits: 1 }], trainEvalSplit: [0.85, 0.15] };
    const run = (name: string, extra: Record<string, unknown>) =>
      runJob(dpoRecipe({ outputDir: path.join(dir, name), trainIters: 6, data, extra: { metricsLog: true, microBatchSize: 4, epochs: 3, lossType: 'sigmoid', beta: 0.5, ...extra } }), { baseDir: dir });
    await run('two', { distributed: { backend: 'threads', workers: 2 } });
    // One process takes each step's pairs as one batch of 8: every step the mean over the same pairs.
    await run('one', { distributed: 'none', microBatchSize: 8 });
    const [two, one] = [records(path.join(dir, 'two'), 'train'), records(path.join(dir, 'one'), 'train')];
    assert.equal(two.length, 6);
    for (let i = 0; i < 6; i++) {
      for (const m of METRICS) assert.ok(Math.abs(two[i][m] - one[i][m]) < 1e-4, `step ${i + 1} ${m}: ${two[i][m]} vs ${one[i][m]}`);
    }
    const [evalTwo, evalOne] = [records(path.join(dir, 'two'), 'eval').pop(), records(path.join(dir, 'one'), 'eval').pop()];
    for (const m of METRICS) assert.ok(Math.abs((evalTwo?.[`eval/${m}`] ?? NaN) - (evalOne?.[`eval/${m}`] ?? NaN)) < 1e-4, `eval/${m}: ${evalTwo?.[`eval/${m}`]} vs ${evalOne?.[`eval/${m}`]}`);
  });
});
