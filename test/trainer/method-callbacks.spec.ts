import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { FloeError, installMethodCallbacks, Logger, MethodCallback, MethodCallbackEvent, register, runJob, TrainingResult } from '../../src';
import { TinyBatch, TinyLinearModel, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

class Calculator {
  offset = 1;
  add(a: number, b: number): number {
    return a + b + this.offset;
  }
  async later(a: number): Promise<number> {
    return a * 2;
  }
}

describe('installMethodCallbacks', () => {
  it('lets a pre-callback rewrite the arguments, and passes it the target', () => {
    const calc = new Calculator();
    const seen: unknown[] = [];
    installMethodCallbacks(calc, ['add'], [
      [
        'pre-add',
        (target: Calculator, a: number, b: number) => {
          seen.push(target, a, b);
          return [a * 10, b * 10];
        },
      ],
    ]);
    assert.equal(calc.add(1, 2), 31);
    assert.deepEqual(seen, [calc, 1, 2]);
  });

  it('lets a post-callback replace the result, post-callbacks chaining in order', () => {
    const calc = new Calculator();
    installMethodCallbacks(calc, ['add'], [
      ['post-add', (_t, result: number) => result * 2],
      ['post-add', (_t, result: number) => `result ${result}`],
    ]);
    assert.equal(calc.add(1, 2), 'result 8');
  });

  it('keeps the arguments and the result when a callback returns undefined', () => {
    const calc = new Calculator();
    const calls: string[] = [];
    installMethodCallbacks(calc, ['add'], [
      ['pre-add', () => void calls.push('pre')],
      ['post-add', () => void calls.push('post')],
    ]);
    assert.equal(calc.add(1, 2), 4);
    assert.deepEqual(calls, ['pre', 'post']);
  });

  it('applies post-callbacks of an async method to the resolved value', async () => {
    const calc = new Calculator();
    installMethodCallbacks(calc, ['later'], [['post-later', (_t, result: number) => result + 1]]);
    assert.equal(await calc.later(5), 11);
  });

  it('leaves methods without callbacks untouched', () => {
    const calc = new Calculator();
    installMethodCallbacks(calc, ['add', 'later'], [['post-later', () => undefined]]);
    assert.equal(calc.add, Calculator.prototype.add);
    assert.notEqual(calc.later, Calculator.prototype.later);
  });

  it('rejects an event that names no wrapped method', () => {
    assert.throws(() => installMethodCallbacks(new Calculator(), ['add'], [['post-sub', () => undefined]]), {
      name: 'FloeError',
      message: "Unknown trainer callback event 'post-sub'. Use pre-<method> or post-<method> with one of: add.",
    });
    assert.throws(() => installMethodCallbacks(new Calculator(), ['add'], [['add' as MethodCallbackEvent, () => undefined]]), FloeError);
  });
});

describe('Trainer method callbacks', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-method-callbacks-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs a trainer's static pre/post callbacks around loss, step and train", async () => {
    const stepsSeen: number[] = [];
    class CallbackTrainer extends TinyTrainer {
      static override readonly type = 'callback-tiny';
      static override readonly callbacks: ReadonlyArray<[MethodCallbackEvent, MethodCallback]> = [
        // Regress onto zero targets instead of the data's.
        ['pre-loss', (_t, batch: TinyBatch) => [{ x: batch.x, y: tf.zerosLike(batch.y) }]],
        ['post-loss', (_t, loss: tf.Scalar) => loss.mul(2)],
        ['post-step', (trainer: TinyTrainer) => void stepsSeen.push(trainer.globalStep)],
        ['post-train', (_t, result: TrainingResult) => ({ ...result, stopReason: 'replaced by post-train' })],
      ];
    }
    register(CallbackTrainer);

    let checked = false;
    const before = tf.memory().numTensors;
    const result = await runJob(
      { type: 'callback-tiny', backend: 'cpu', epochs: 2, microBatchSize: 8, outputDir: path.join(dir, 'run'), checkpoint: [] },
      {
        logger: new Logger({ sink: () => undefined }),
        onTrainerReady: (trainer) => {
          // The loss runs inside tidy in training; do the same so the callbacks' tensors are freed.
          const [actual, expected] = tf.tidy(() => {
            const x = tf.tensor2d([
              [1, 2, 3, 4],
              [-1, 0, 2, 1],
            ]);
            const y = tf.tensor2d([[100], [200]]);
            const zeroTargetLoss = (trainer.model as TinyLinearModel).predict(x).square().mean();
            return [trainer.loss({ x, y }).dataSync()[0], zeroTargetLoss.mul(2).dataSync()[0]];
          });
          assert.ok(Math.abs(actual - expected) < 1e-6, `loss of zero targets, doubled: ${actual} vs ${expected}`);
          checked = true;
        },
      },
    );
    assert.ok(checked);
    assert.equal(result.stopReason, 'replaced by post-train');
    assert.equal(result.status, 'finished');
    assert.deepEqual(stepsSeen, Array.from({ length: 16 }, (_, i) => i + 1), 'post-step after each step (one micro-batch per step)');
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
  });

  it('awaits an async pre-callback around an async method and rejects a non-array return', async () => {
    const order: string[] = [];
    const target = {
      async work(x: number): Promise<number> {
        order.push(`work ${x}`);
        return x * 2;
      },
      sync(x: number): number {
        return x;
      },
    };
    installMethodCallbacks(target, ['work', 'sync'], [
      ['pre-work', async (_t: unknown, x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push('pre');
        return [x + 1];
      }],
      ['pre-sync', () => 'not an array'],
    ]);
    assert.equal(await target.work(1), 4);
    assert.deepEqual(order, ['pre', 'work 2']);
    assert.throws(() => target.sync(1), /pre-sync callback must return undefined .* or an array of replacement arguments, got string/);
  });
});
