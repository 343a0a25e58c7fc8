import * as tf from '@tensorflow/tfjs';
import { TrainingError } from '../errors';
import { DataLoader } from '../data/data-loader';

/**
 * `loader` with its `batches()` checked: it must return an iterable (or async iterable), and
 * each batch must be an object holding tensors. A data factory's wrong batches otherwise fail
 * inside the trainer as a bare TypeError (`reading 'Symbol(Symbol.asyncIterator)'`,
 * `reading 'shape'`) naming neither the factory nor the batch. Everything else is the loader's own.
 */
export function checkedLoader<B>(loader: DataLoader<B>, who: string, split: string): DataLoader<B> {
  return new Proxy(loader, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'batches' && typeof value === 'function') {
        return (...args: Parameters<DataLoader<B>['batches']>) => {
          const [epoch, start = 0, shard] = args;
          // A shard yields only its rank's share: only a whole epoch's count can be checked against length.
          const expected = shard === undefined ? Math.max(0, target.length - start) : undefined;
          return checkedBatches(value.apply(target, args) as unknown, { call: `${who}: ${split}.batches(epoch ${epoch}, start ${start})`, expected, length: target.length });
        };
      }
      // Methods run on the loader itself, so its private fields stay reachable.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Which call is being checked, and how many batches it must yield (undefined: not checked). */
interface BatchesCall {
  call: string;
  expected?: number;
  length: number;
}

function checkedBatches<B>(result: unknown, at: BatchesCall): Iterable<B> | AsyncIterable<B> {
  const iterable = typeof result === 'object' && result !== null;
  if (iterable && Symbol.asyncIterator in result) return checkAsync(result as AsyncIterable<unknown>, at);
  if (iterable && Symbol.iterator in result) return checkSync(result as Iterable<unknown>, at);
  throw new TrainingError(`${at.call} returned ${result === null ? 'null' : typeof result}; it must return the batches as an iterable, e.g. a generator: *batches(epoch, start) { yield { x, y } }`);
}

function* checkSync<B>(batches: Iterable<unknown>, at: BatchesCall): Iterable<B> {
  let i = 0;
  for (const batch of batches) yield checkBatch<B>(batch, at.call, i++);
  checkCount(i, at);
}

async function* checkAsync<B>(batches: AsyncIterable<unknown>, at: BatchesCall): AsyncIterable<B> {
  let i = 0;
  for await (const batch of batches) yield checkBatch<B>(batch, at.call, i++);
  checkCount(i, at);
}

/** Run when the batches ran out (not when the consumer stopped early): their number must match `length`. */
function checkCount(count: number, at: BatchesCall): void {
  if (at.expected === undefined || count === at.expected) return;
  throw new TrainingError(
    `${at.call} yielded ${count} batch${count === 1 ? '' : 'es'}, but the loader's length (${at.length}) says ${at.expected} from there: length must be the number of batches batches(epoch) yields, ` +
      'and batches(epoch, start) must skip exactly start of them, or the run\'s step count and a resumed run\'s batches are wrong',
  );
}

function checkBatch<B>(batch: unknown, call: string, index: number): B {
  const tensors = batch instanceof tf.Tensor ? [['', batch] as const] : typeof batch === 'object' && batch !== null && !Array.isArray(batch) ? Object.entries(batch).filter((e): e is [string, tf.Tensor] => e[1] instanceof tf.Tensor) : [];
  const disposed = tensors.filter(([, t]) => t.isDisposed).map(([k]) => (k === '' ? 'the batch' : k));
  if (disposed.length > 0) {
    tf.dispose(batch as tf.TensorContainer);
    throw new TrainingError(
      `${call} yielded batch ${index + 1} with disposed tensors (${disposed.join(', ')}): the trainer disposes every batch after its step, so batches() must build new tensors each time (keep plain arrays across epochs, not tensors)`,
    );
  }
  if (tensors.length > 0) return batch as B;
  tf.dispose(batch as tf.TensorContainer);
  const what = batch === null ? 'null' : Array.isArray(batch) ? 'an array' : typeof batch === 'object' ? 'an object with no tensors' : typeof batch;
  throw new TrainingError(`${call} yielded ${what} as batch ${index + 1}; each batch must be an object of tensors the trainer's loss() reads, e.g. { x: tf.tensor2d(rows), y: tf.tensor2d(targets) }`);
}
