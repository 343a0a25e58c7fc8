import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { recordRankFailure } from '../../src/distributed/record-rank-failure';

describe('recordRankFailure', () => {
  let dir: string;
  let file: string;
  const read = (): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const write = (fields: Record<string, unknown>): void => fs.writeFileSync(file, JSON.stringify(fields));
  const running = (startedAt: number): Record<string, unknown> => ({
    state: 'running',
    step: 40,
    totalSteps: 100,
    checkpoint: '/runs/x/checkpoints/step-000040',
    etaSec: 12,
    pid: 4242,
    host: 'node1',
    startedAt: new Date(startedAt).toISOString(),
    updatedAt: new Date(startedAt + 1000).toISOString(),
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-rank-failure-'));
    file = path.join(dir, 'status.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("marks this job's running status failed, keeping rank 0's step and checkpoint", async () => {
    const jobStartMs = Date.now() - 5000;
    write(running(jobStartMs + 2000));
    await recordRankFailure({ file, error: new Error('rank 1 failed: boom'), jobStartMs });
    const status = read();
    assert.deepEqual([status.state, status.step, status.checkpoint, status.error, status.pid], ['failed', 40, '/runs/x/checkpoints/step-000040', 'rank 1 failed: boom', 4242]);
    assert.equal(status.etaSec, undefined);
  });

  it("replaces an earlier run's status with a fresh one", async () => {
    const jobStartMs = Date.now();
    write({ ...running(jobStartMs - 3_600_000), state: 'finished' });
    await recordRankFailure({ file, error: new Error('rank 1 failed: boom'), jobStartMs });
    const status = read();
    assert.deepEqual([status.state, status.step, status.checkpoint, status.error], ['failed', 0, undefined, 'rank 1 failed: boom']);
  });

  it('leaves the record rank 0 writes while it waits, and a failure rank 0 recorded already', async () => {
    const jobStartMs = Date.now() - 5000;
    write(running(jobStartMs + 2000));
    const byRank0 = { ...running(jobStartMs + 2000), state: 'failed', step: 41, error: 'Rank 0 stopped: the job was aborted: rank 1 failed: boom', updatedAt: new Date().toISOString() };
    setTimeout(() => write(byRank0), 100);
    const started = Date.now();
    await recordRankFailure({ file, error: new Error('rank 1 failed: boom'), jobStartMs, waitForMainRankMs: 3000 });
    assert.ok(Date.now() - started < 1500, 'returns once rank 0 has written');
    assert.deepEqual(read(), byRank0);
    // A rank that only saw the job end (mpirun's SIGTERM) does not replace rank 0's record either.
    await recordRankFailure({ file, error: new Error('Rank 1 got SIGTERM/SIGINT while waiting'), jobStartMs });
    assert.deepEqual(read(), byRank0);
  });
});
