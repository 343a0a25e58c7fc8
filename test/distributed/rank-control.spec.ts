import { strict as assert } from 'assert';
import { RankDataParallel, TrainerControl } from '../../src';
import { fakeGroup } from './fixtures/fake-group';

/** Each rank's control after one syncControl, given what each rank asked for. */
async function sync(requests: Array<string | undefined>): Promise<TrainerControl[]> {
  const group = fakeGroup(requests.length);
  const controls = requests.map((reason) => {
    const c = new TrainerControl();
    if (reason !== undefined) c.stop(reason);
    return c;
  });
  await Promise.all(group.map((comm, rank) => new RankDataParallel(comm).syncControl(controls[rank])));
  return controls;
}

describe('stop requests across ranks', () => {
  it("a signal that reached another rank first stops rank 0 with the signal's own name (the exit code is read from it)", async () => {
    // Ctrl-C reaches every worker; rank 1 may sync before rank 0 has seen it.
    const [rank0] = await sync([undefined, 'SIGINT']);
    assert.deepEqual([rank0.shouldStop, rank0.stopReason], [true, 'SIGINT']);
  });

  it("every rank ends with the same reason: rank 0's when it has one, else the first rank's that has one", async () => {
    const fromRank0 = await sync(['exitIteration 4 reached', undefined, 'SIGINT']);
    assert.deepEqual(fromRank0.map((c) => [c.shouldStop, c.stopReason]), [...Array(3)].map(() => [true, 'exitIteration 4 reached']));
    const fromRank1 = await sync([undefined, 'kill switch file /tmp/stop', undefined]);
    assert.deepEqual(fromRank1.map((c) => c.stopReason), [...Array(3)].map(() => 'kill switch file /tmp/stop (on rank 1)'));
    // A stop without a reason (the horizon reached) is finishing: no rank gets one.
    const group = fakeGroup(2);
    const controls = [new TrainerControl(), new TrainerControl()];
    controls[0].shouldStop = true;
    await Promise.all(group.map((comm, rank) => new RankDataParallel(comm).syncControl(controls[rank])));
    assert.deepEqual(controls.map((c) => [c.shouldStop, c.stopReason]), [[true, undefined], [true, undefined]]);
  });

  it('any other reason names the rank it came from; rank 0 keeps its own', async () => {
    const [rank0] = await sync([undefined, undefined, 'kill switch file /tmp/stop']);
    assert.deepEqual([rank0.shouldStop, rank0.stopReason], [true, 'kill switch file /tmp/stop (on rank 2)']);
    const [own] = await sync(['SIGTERM', 'SIGINT']);
    assert.equal(own.stopReason, 'SIGTERM');
  });
});
