import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GradientAccumulator, RankDataParallel, runJob, Trainer } from '../../src';
import { quietLogger } from '../fixtures/supervised';
import { rankWeights, tinyRecipe } from './dp-recipes';
import { fakeGroup } from './fixtures/fake-group';

const FROZEN = ['embed.*', 'blocks.0.mlp.*'];
const isFrozen = (name: string): boolean => name.startsWith('embed.') || name.startsWith('blocks.0.mlp.');

/** Stops a run once its trainer is set up: the weights it starts from, in parameter order. */
async function initialWeights(recipe: Record<string, unknown>): Promise<Map<string, Buffer>> {
  const weights = new Map<string, Buffer>();
  const ready = new Error('set up');
  await assert.rejects(
    runJob(recipe, {
      logger: quietLogger(),
      onTrainerReady: async (t: Trainer) => {
        for (const [name, v] of t.model.params) weights.set(name, Buffer.from(((await v.data()) as Float32Array).slice().buffer));
        throw ready;
      },
    }),
    (error) => error === ready,
  );
  return weights;
}

describe('freeze with data parallelism', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dp-freeze-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('frozen parameters take no room in the gradient all-reduce', async () => {
    const [communicator] = fakeGroup(1);
    const lengths: number[] = [];
    const allReduceSum = communicator.allReduceSum.bind(communicator);
    communicator.allReduceSum = (data) => (lengths.push(data.length), allReduceSum(data));
    const trainable = new Map([['head.weight', tf.variable(tf.ones([3]))]]);
    const params = new Map([['embed.weight', tf.variable(tf.ones([5]))], ...trainable]);
    const trainer = { model: { params }, trainableParams: trainable, state: { tokensSeen: 0, samplesSeen: 0 } } as unknown as Trainer;
    const accumulator = new GradientAccumulator();
    const grads = new Map([['head.weight', tf.tensor1d([2, 4, 6])]]);
    accumulator.add(grads);
    const averaged = await new RankDataParallel(communicator).averageGradients(trainer, accumulator, 2);
    assert.deepEqual([...averaged.keys()], ['head.weight']);
    assert.deepEqual(Array.from(await averaged.get('head.weight')!.data()), [1, 2, 3]);
    assert.deepEqual(lengths, [3 + 1 + 3], "the head's 3 values, its presence flag, weight, tokens, samples");
    tf.dispose([...averaged.values(), ...grads.values(), ...params.values()]);
    accumulator.dispose();
  });

  it('2 workers: the replicas stay bit-identical and the frozen weights keep their initial bits', async () => {
    const out = path.join(dir, 'run');
    const fields = { trainIters: 6, freeze: FROZEN };
    const start = await initialWeights(tinyRecipe(path.join(dir, 'init'), { ...fields, distributed: 'none' }));
    const result = await runJob(tinyRecipe(out, { ...fields, distributed: { backend: 'threads', workers: 2 } }));
    assert.equal(result.globalStep, 6);
    const [rank0, rank1] = [rankWeights(out, 0), rankWeights(out, 1)];
    assert.ok(rank0.equals(rank1), 'replicas bit-identical');
    let at = 0;
    for (const [name, bytes] of start) {
      const end = rank0.subarray(at, at + bytes.length);
      at += bytes.length;
      assert.equal(end.equals(bytes), isFrozen(name), `${name} ${isFrozen(name) ? 'kept its bits' : 'trained'}`);
    }
    assert.equal(at, rank0.length);
  });
});
