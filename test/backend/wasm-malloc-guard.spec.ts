import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { guardWasmMalloc, isWasmOutOfMemory, WasmHeapFullError, wasmOutOfMemoryError } from '../../src/backend';
import { TrainingError } from '../../src/errors';

/** An Emscripten-like module whose stub `_malloc` swaps itself for `asm.malloc` on first call, as tfjs-backend-wasm's does. */
function fakeModule(results: number[]) {
  const calls: number[] = [];
  const asm = {
    malloc: (bytes: number) => {
      calls.push(bytes);
      return results.shift() ?? 0;
    },
  };
  const module = {
    asm,
    HEAPU8: new Uint8Array(64),
    _malloc(bytes: number): number {
      module._malloc = asm.malloc;
      return asm.malloc(bytes);
    },
  };
  return { module, calls };
}

describe('guardWasmMalloc', () => {
  it('throws a WasmHeapFullError when malloc returns 0 for a non-empty tensor, and passes every other result through', () => {
    const { module, calls } = fakeModule([4096, 0, 0]);
    guardWasmMalloc(module);
    assert.equal(module._malloc(16), 4096);
    assert.throws(() => module._malloc(3 * 2 ** 30), (error: Error) => {
      assert.ok(error instanceof WasmHeapFullError && error instanceof RangeError);
      assert.match(error.message, /^out of memory: the wasm heap \(0\.1 KiB now, at most 4\.00 GiB\) has no room for a tensor of 3\.00 GiB$/);
      return true;
    });
    assert.equal(module._malloc(0), 0, 'an empty tensor may sit at offset 0');
    // Wrapped the export, not the self-replacing stub: the guard is still in place after the first call.
    guardWasmMalloc(module);
    assert.throws(() => module._malloc(8), WasmHeapFullError);
    assert.deepEqual(calls, [16, 3 * 2 ** 30, 0, 8]);
  });

  it("is taken for the wasm backend's out-of-memory error, so training names the cap and what to do", () => {
    const error = new WasmHeapFullError('out of memory: the wasm heap (3.90 GiB now, at most 4.00 GiB) has no room for a tensor of 384.0 MiB');
    assert.ok(isWasmOutOfMemory(new TrainingError('Trainer.loss() threw', { cause: error })));
    const rewrapped = wasmOutOfMemoryError({ error, backend: 'wasm', heldBytes: 3.9 * 2 ** 30 });
    assert.ok(rewrapped instanceof TrainingError);
    assert.match(rewrapped.message, /has no room for a tensor of 384\.0 MiB/);
  });

  it('on the real wasm backend, a tensor past the 4 GiB cap throws and leaves the tensors already held intact', function () {
    this.timeout(120000);
    // Its own process: the test fills 2 GiB of wasm heap, which a wasm memory never gives back.
    const backend = path.resolve(__dirname, '../../src/backend/index.js');
    const script = `
      const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs'))});
      const { initBackend } = require(${JSON.stringify(backend)});
      (async () => {
        await initBackend({ name: 'wasm' });
        const kept = tf.tensor1d([1, 2, 3, 4]);
        const first = tf.fill([550000000], 7);
        let outcome = 'allocated';
        try { tf.fill([550000000], 0); } catch (error) { outcome = error.constructor.name + ': ' + error.message; }
        console.log(JSON.stringify({ outcome, kept: Array.from(await kept.data()), last: (await first.slice([549999999], [1]).data())[0] }));
      })();`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim().split('\n').pop() as string);
    // Unguarded, the second fill lands at offset 0 and zeroes the heap's first tensors (kept became [0, 0, 0, 0]).
    assert.match(out.outcome, /^WasmHeapFullError: out of memory: the wasm heap \(2\.\d\d GiB now, at most 4\.00 GiB\) has no room for a tensor of 2\.05 GiB$/);
    assert.deepEqual(out.kept, [1, 2, 3, 4]);
    assert.equal(out.last, 7);
  });
});
