import { strict as assert } from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { isWasmOutOfMemory, WASM_MEMORY_MAX_BYTES, wasmOutOfMemoryError } from '../../src/backend';
import { TrainingError } from '../../src/errors';
import { runRecorded, tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';
import { makeTempDir } from '../checkpoint/temp-dir';

type ErrorClass = new (message: string) => Error;
/** `WebAssembly.RuntimeError` (the TS lib here has no WebAssembly types). */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorClass } }).WebAssembly.RuntimeError;

/** What tfjs-backend-wasm throws past its memory maximum (malloc returns 0; the next kernel writes out of bounds). */
function wasmOom(): Error {
  return new RuntimeError('memory access out of bounds');
}

describe('wasmOutOfMemoryError', () => {
  it('names the wasm limit and what to do, keeping the original as cause', () => {
    const original = wasmOom();
    const error = wasmOutOfMemoryError({ error: original, backend: 'wasm', heldBytes: 3.5 * 2 ** 30 });
    assert.ok(error instanceof TrainingError);
    assert.equal(error.cause, original);
    assert.match(error.message, /^The wasm backend ran out of memory \(tfjs reported "RuntimeError: memory access out of bounds"\): its tensors share one WebAssembly memory of at most 4\.00 GiB \(4294901760 bytes\), and 3\.50 GiB was held/);
    assert.match(error.message, /microBatchSize × data\.maxLength.*model\.lora.*backend: tensorflow after npm install @tensorflow\/tfjs-node/);
  });

  it('finds the wasm error under a wrapping error and leaves others alone', () => {
    const wrapped = new TrainingError('Trainer.loss() threw', { cause: wasmOom() });
    assert.ok(isWasmOutOfMemory(wrapped));
    assert.ok(wasmOutOfMemoryError({ error: wrapped, backend: 'wasm', heldBytes: 0 }) instanceof TrainingError);
    assert.notEqual(wasmOutOfMemoryError({ error: wrapped, backend: 'wasm', heldBytes: 0 }), wrapped);
    const other = new RuntimeError('unreachable');
    assert.equal(wasmOutOfMemoryError({ error: other, backend: 'wasm', heldBytes: 0 }), other);
    const onCpu = wasmOom();
    assert.equal(wasmOutOfMemoryError({ error: onCpu, backend: 'cpu', heldBytes: 0 }), onCpu);
    assert.equal(WASM_MEMORY_MAX_BYTES, 4 * 2 ** 30 - 65536);
  });
});

describe('Trainer on wasm out of memory', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-wasm-oom-')));
  afterEach(() => cleanup());

  it('rethrows a step\'s wasm out-of-memory error as one naming the limit, the original as cause', async () => {
    const recipe = { ...tinyGptRecipe(path.join(dir, 'run')), backend: 'wasm', trainIters: 1, checkpoint: [], scheduler: { type: 'constant' } };
    const original = wasmOom();
    const before = tf.memory().numTensors;
    await assert.rejects(
      runRecorded(recipe, {
        onTrainerReady: async (trainer) => {
          (trainer as unknown as { loss: () => never }).loss = () => {
            throw original;
          };
        },
      }),
      (error: Error) => {
        assert.ok(error instanceof TrainingError, error.message);
        assert.match(error.message, /^The wasm backend ran out of memory .* at most 4\.00 GiB/);
        // The loss error (naming the trainer and batch) wraps the wasm one.
        let cause: unknown = error.cause;
        while (cause instanceof Error && cause !== original) cause = cause.cause;
        assert.equal(cause, original);
        return true;
      },
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
