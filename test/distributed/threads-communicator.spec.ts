import { strict as assert } from 'assert';
import { Worker } from 'worker_threads';
import { JobAbortedError, SharedViews, ThreadsCommunicator } from '../../src';
import { activeNativeAddon, nativeKernelsStatus } from '../../src/backend/native';
import { COMM_WORKER, CommWorkerData, input } from './fixtures/comm-worker';

interface Outcome {
  data?: Float32Array;
  error?: { name: string; message: string };
}

/** Runs `scenario` on `size` worker threads sharing one buffer with tiny chunks (so collectives span chunks). */
async function runRanks(scenario: CommWorkerData['scenario'], size: number, options: { length?: number; chunkFloats?: number; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Outcome[]> {
  const views = SharedViews.create(size, options.chunkFloats ?? 7);
  return Promise.all(
    Array.from({ length: size }, (_, rank) => {
      const data: CommWorkerData = { buffer: views.buffer, rank, scenario, length: options.length ?? 100, timeoutMs: options.timeoutMs ?? 10_000 };
      const worker = new Worker(COMM_WORKER, { workerData: data, env: options.env ?? process.env });
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

/** float32 adds in rank order, as the all-reduce does them. */
function f32Sum(values: number[]): number {
  return values.reduce((s, v) => Math.fround(s + v));
}

function bytes(data: Float32Array | undefined): Buffer {
  return Buffer.from((data as Float32Array).buffer);
}

describe('ThreadsCommunicator', () => {
  it('all-reduce sums over ranks in rank order with float32 adds, chunk by chunk, and every rank gets the same bits', async () => {
    const length = 100;
    const out = await runRanks('sum', 3, { length });
    // Summed twice (the second time over the first result), as the scenario does.
    const once = Float32Array.from({ length }, (_, i) => f32Sum([input(0, i), input(1, i), input(2, i)]));
    const twice = Float32Array.from(once, (v) => f32Sum([v, v, v]));
    for (const o of out) {
      assert.equal(o.error, undefined, o.error?.message);
      assert.deepEqual(Array.from(o.data as Float32Array), Array.from(twice));
    }
    assert.ok(bytes(out[0].data).equals(bytes(out[2].data)));
  });

  it('all-reduce gives the same bits with the native sum and with FLOE_NATIVE=0 (ranks may differ in which they use)', async function () {
    if (activeNativeAddon()?.sumSlots === undefined) {
      console.log(`      [skipped: no native sumSlots: ${nativeKernelsStatus().reason ?? 'addon built before it'}]`);
      this.skip();
    }
    for (const size of [2, 3]) {
      const native = await runRanks('sum', size, { length: 1000, chunkFloats: 300 });
      const js = await runRanks('sum', size, { length: 1000, chunkFloats: 300, env: { ...process.env, FLOE_NATIVE: '0' } });
      for (let r = 0; r < size; r++) {
        assert.equal(native[r].error ?? js[r].error, undefined);
        assert.ok(bytes(native[r].data).equals(bytes(js[r].data)), `size ${size}, rank ${r}`);
      }
    }
  });

  it("reads a rank's announcement whole while the rank rewrites it for its next call (no false mismatch)", () => {
    // A garbage collection between two reads made an old call number with the next call's
    // length: a healthy training run failed with "Collective mismatch" after some thousand steps.
    const views = SharedViews.create(2, 7);
    views.announce(1, { kind: 'allReduceSum', seq: 5, length: 6, root: -1 });
    const load = Atomics.load;
    let reads = 0;
    // Rank 1 announces its next call right after the reader's second read.
    (Atomics as { load: typeof Atomics.load }).load = ((array: Int32Array, index: number) => {
      const value = load(array, index);
      if (++reads === 2) views.announce(1, { kind: 'allReduceSum', seq: 6, length: 2, root: -1 });
      return value;
    }) as typeof Atomics.load;
    let seen;
    try {
      seen = views.descriptor(1);
    } finally {
      (Atomics as { load: typeof Atomics.load }).load = load;
    }
    assert.ok(
      (seen.seq === 5 && seen.length === 6) || (seen.seq === 6 && seen.length === 2),
      `a torn read: call #${seen.seq} with ${seen.length} floats`,
    );
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
    assert.ok(views.slots.flat().every((slot) => slot.every((v) => v === 0)), 'nothing went through the shared slots');
    views.abort(1, -1, 'stopped by the launcher');
    await assert.rejects(comm.allReduceSum(data), (e: Error) => e instanceof JobAbortedError && /aborted by the launcher: stopped by the launcher/.test(e.message));
  });
});
