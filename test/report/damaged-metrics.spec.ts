import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readRunMetrics } from '../../src/report';
import { cli } from '../support/cli-run';

const record = (step: number): string => JSON.stringify({ event: 'train', step, epoch: 0, loss: 1 / step, lr: 0.1 });

describe('floe report on a metrics.jsonl with a damaged line', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-damaged-metrics-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says which lines it left out (they were dropped without a word), but not a last line still being written', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, [record(1), 'garbage', record(3), '{"event": "tr', record(5), '{"event": "train", "st'].join('\n'));
    const metrics = await readRunMetrics(dir);
    assert.deepEqual(metrics.train.map((p) => p.step), [1, 3, 5]);
    assert.deepEqual(metrics.skippedLines, [`${file}:2`, `${file}:4`]);
    const run = await cli('report', dir);
    assert.equal(run.code, 0, run.err.join('\n'));
    const shown = path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file);
    assert.deepEqual(run.err, [`warn: left out 2 lines of metrics that are not JSON: ${shown}:2, ${shown}:4`]);
    // A file whose only bad line is the one being written says nothing.
    fs.writeFileSync(file, [record(1), '{"event": "tr'].join('\n'));
    assert.equal((await readRunMetrics(dir)).skippedLines, undefined);
    assert.deepEqual((await cli('report', dir)).err, []);
  });
});
