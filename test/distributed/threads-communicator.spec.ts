import { strict as assert } from 'assert';
import { Worker } from 'worker_threads';
import { JobAbortedError, SharedViews, ThreadsCommunicator } from '../../src';
import { COMM_WORKER, CommWorkerData, input } from './fixtures/comm-worker';

interface Outcome {
  data?: Float32Array;
  error?: { name: string; message: string };
}

/** Runs `scenario` on `size` worker threads sharing one buffer with tiny chunks (so collectives span chunks). */
async function runRanks(scenario: CommWorkerData['scenario'], size: number, options: { length?: number; chunkFloats?: number; timeoutMs?: number } = {}): Promise<Outcome[]> {
  const views = SharedViews.create(size, options.chunkFloats ?? 7);
  return Promise.all(
    Array.from({ length: size }, (_, rank) => {
      const data: CommWorkerData = { buffer: views.buffer, rank, scenario, length: options.length ?? 100, timeoutMs: options.timeoutMs ?? 10_000 };
      const worker = new Worker(COMM_WORKER, { workerData: data });
      return new Promise<Outcome>((resolve, reject) => {
        worker.once('message', (m: Outcome) => {
          resolve(m);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
    }),
  );
}

describe('ThreadsCommunicator', () => {
  it('all-reduce sums over ranks in rank order, chunk by chunk, and every rank gets the same bits', async () => {
    const length = 100;
    const out = await runRanks('sum', 3, { length });
    // Summed twice (the second time over the first result), as the scenario does.
    const once = Float32Array.from({ length }, (_, i) => input(0, i) + input(1, i) + input(2, i));
    const twice = Float32Array.from(once, (v) => v + v + v);
    for (const o of out) {
      assert.equal(o.error, undefined, o.error?.message);
      assert.deepEqual(Array.from(o.data as Float32Array), Array.from(twice));
    }
    assert.ok(Buffer.from((out[0].data as Float32Array).buffer).equals(Buffer.from((out[2].data as Float32Array).buffer)));
  });

  it('broadcast copies the root rank\'s data to every rank, across chunks', async () => {
    const out = await runRanks('broadcast', 3, { length: 50 });
    const root = Array.from({ length: 50 }, (_, i) => input(1, i));
    for (const o of out) assert.deepEqual(Array.from(o.data as Float32Array), root);
  });

  it('names both ranks and both calls when ranks call different collectives', async () => {
    const out = await runRanks('mismatch', 2, { length: 3 });
    const messages = out.map((o) => o.error?.message ?? '');
    assert.ok(out.every((o) => o.error !== undefined), 'both ranks fail instead of hanging');
    assert.ok(
      messages.some((m) => /Collective mismatch: rank \d called (barrier #1|allReduceSum #1 \(3 floats\)) but rank \d called (barrier #1|allReduceSum #1 \(3 floats\))/.test(m)),
      messages.join('\n'),
    );
    assert.ok(out.some((o) => o.error?.name === 'CollectiveMismatchError'));
  });

  it('times out a collective a rank never joins, naming the rank and where it is', async () => {
    const started = Date.now();
    const [rank0] = await runRanks('timeout', 2, { timeoutMs: 300 });
    assert.equal(rank0.error?.name, 'CollectiveTimeoutError');
    assert.match(rank0.error?.message ?? '', /^Rank 0 timed out after 0.3 s in allReduceSum #2 \(100 floats\): waiting for rank 1 \(last in barrier #1\)/);
    assert.ok(Date.now() - started < 5000);
  });

  it('an abort on one rank stops the others in their collectives with the reason', async () => {
    const [rank0] = await runRanks('abort', 2);
    assert.equal(rank0.error?.name, 'JobAbortedError');
    assert.match(rank0.error?.message ?? '', /Rank 0 stopped: the job was aborted by rank 1: rank 1 gave up/);
  });

  it('in a group of one, collectives return the data untouched without the shared buffer; an abort still stops them', async () => {
    const views = SharedViews.create(1, 4);
    const comm = new ThreadsCommunicator(views.buffer, 0, { timeoutMs: 1000 });
    // Longer than a chunk: a group of one copies nothing through the slots.
    const data = Float32Array.from({ length: 10 }, (_, i) => i * 0.5 - 1);
    const copy = data.slice();
    assert.equal(await comm.allReduceSum(data), data);
    assert.equal(await comm.broadcast(data, 0), data);
    await comm.barrier();
    assert.deepEqual(data, copy);
    assert.ok(views.slots[0].every((v) => v === 0), 'nothing went through the shared slot');
    views.abort(1, -1, 'stopped by the launcher');
    await assert.rejects(comm.allReduceSum(data), (e: Error) => e instanceof JobAbortedError && /aborted by the launcher: stopped by the launcher/.test(e.message));
  });
});
