import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { DataLoader, TrainingError } from '../../src';
import { checkedLoader } from '../../src/trainer/checked-loader';

/** A loader with a private field and a getter, as a plugin would write one. */
class RowLoader implements DataLoader<unknown> {
  readonly #rows: unknown[];
  readonly shardable = true;
  constructor(rows: unknown[]) {
    this.#rows = rows;
  }
  get length(): number {
    return this.#rows.length;
  }
  get numExamples(): number {
    return this.#rows.length;
  }
  *batches(_epoch: number, start = 0): Iterable<unknown> {
    for (const row of this.#rows.slice(start)) yield typeof row === 'function' ? row() : row;
  }
}

const WHO = "data 'rows' (RowFactory)";

describe('checkedLoader', () => {
  it("passes the loader's batches and fields through unchanged (private fields still reachable)", () => {
    const loader = checkedLoader(new RowLoader([() => ({ x: tf.ones([2, 3]) }), () => tf.zeros([2])]), WHO, 'train');
    assert.equal(loader.length, 2);
    assert.equal(loader.numExamples, 2);
    assert.equal(loader.shardable, true);
    const batches = [...(loader.batches(0, 0) as Iterable<unknown>)];
    assert.equal(batches.length, 2);
    assert.deepEqual((batches[0] as { x: tf.Tensor }).x.shape, [2, 3]);
    tf.dispose(batches as tf.TensorContainer);
  });

  it('names the factory, the split and the call when batches() returns no iterable', () => {
    const loader = checkedLoader({ length: 1, numExamples: 1, batches: () => undefined as unknown as Iterable<unknown> }, WHO, 'eval');
    assert.throws(
      () => loader.batches(2, 1),
      (e: Error) =>
        e instanceof TrainingError &&
        e.message === "data 'rows' (RowFactory): eval.batches(epoch 2, start 1) returned undefined; it must return the batches as an iterable, e.g. a generator: *batches(epoch, start) { yield { x, y } }",
    );
  });

  it('refuses a batch that holds no tensors, naming which one', async () => {
    const loader = checkedLoader(new RowLoader([() => ({ x: tf.ones([1]) }), [[1, 2, 3]]]), WHO, 'train');
    const seen: unknown[] = [];
    assert.throws(
      () => {
        for (const b of loader.batches(0, 0) as Iterable<unknown>) seen.push(b);
      },
      /^TrainingError: data 'rows' \(RowFactory\): train\.batches\(epoch 0, start 0\) yielded an array as batch 2; each batch must be an object of tensors/,
    );
    tf.dispose(seen as tf.TensorContainer);
    async function* asyncRows(): AsyncIterable<unknown> {
      yield { numSamples: 3 };
    }
    const asyncLoader = checkedLoader({ length: 1, numExamples: 1, batches: asyncRows }, WHO, 'train');
    await assert.rejects(async () => {
      for await (const _ of asyncLoader.batches(0) as AsyncIterable<unknown>) void _;
    }, /yielded an object with no tensors as batch 1/);
  });

  it("refuses a loader that yields more or fewer batches than its length says, from start on, but not a shard's share or an early stop", () => {
    const rows = [1, 2, 3].map(() => () => ({ x: tf.ones([1]) }));
    class OffByOne extends RowLoader {
      override get length(): number {
        return 4;
      }
    }
    const loader = checkedLoader(new OffByOne(rows), WHO, 'train');
    const drain = (it: Iterable<unknown>): void => {
      for (const b of it) tf.dispose(b as tf.TensorContainer);
    };
    assert.throws(
      () => drain(loader.batches(0, 1) as Iterable<unknown>),
      /^TrainingError: data 'rows' \(RowFactory\): train\.batches\(epoch 0, start 1\) yielded 2 batches, but the loader's length \(4\) says 3 from there: length must be the number of batches/,
    );
    drain(loader.batches(0, 0, { rank: 0, size: 2 }) as Iterable<unknown>);
    for (const b of loader.batches(0) as Iterable<unknown>) {
      tf.dispose(b as tf.TensorContainer);
      break;
    }
    drain(checkedLoader(new RowLoader(rows), WHO, 'train').batches(0, 1) as Iterable<unknown>);
  });

  it('refuses a batch whose tensors were disposed (a loader that caches tensors across epochs)', () => {
    const x = tf.ones([2, 3]);
    const loader = checkedLoader(new RowLoader([{ x }]), WHO, 'train');
    for (const b of loader.batches(0) as Iterable<unknown>) tf.dispose(b as tf.TensorContainer);
    assert.throws(
      () => [...(loader.batches(1) as Iterable<unknown>)],
      /^TrainingError: data 'rows' \(RowFactory\): train\.batches\(epoch 1, start 0\) yielded batch 1 with disposed tensors \(x\): the trainer disposes every batch after its step/,
    );
  });
});
