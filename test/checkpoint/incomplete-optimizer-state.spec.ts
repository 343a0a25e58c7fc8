import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensorsHeader } from '../../src/checkpoint/formats/read-safetensors';
import { readSafetensorsTensors } from '../../src/checkpoint/formats/read-safetensors-tensors';
import { writeSafetensors } from '../../src/checkpoint/formats/write-safetensors';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { CheckpointError, OptimizerStateError, RunJobOptions } from '../../src';
import { fileBytes, runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

/**
 * Rewrites a checkpoint's optimizer.safetensors through `edit` (keeping its metadata) and its
 * manifest after it, as a hand-rebuilt checkpoint would be (so the checksums pass and only the
 * content is wrong).
 */
async function editOptimizerState(ckpt: string, edit: (state: Map<string, tf.Tensor>) => void): Promise<void> {
  const file = path.join(ckpt, 'optimizer.safetensors');
  const { metadata } = await readSafetensorsHeader(file);
  const state = await readSafetensorsTensors(file);
  try {
    edit(state);
    await writeSafetensors(file, state, { metadata });
  } finally {
    tf.dispose([...state.values()]);
  }
  await writeManifest(ckpt);
}

/** Removes (and frees) one entry of a state map. */
function drop(state: Map<string, tf.Tensor>, key: string): void {
  assert.ok(state.has(key), `the checkpoint should hold '${key}'`);
  state.get(key)?.dispose();
  state.delete(key);
}

/** Float32/int32 bits of every tensor, by key, for bit-exact comparison. */
function bits(state: Map<string, tf.Tensor>): Record<string, string> {
  return Object.fromEntries([...state].sort(([a], [b]) => a.localeCompare(b)).map(([k, t]) => [k, `${t.dtype}[${t.shape.join(',')}]:${Buffer.from((t.dataSync() as Float32Array | Int32Array).buffer).toString('hex')}`]));
}

describe('loading incomplete optimizer state', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  /** The run's checkpoints (step 2 and step 4), copied fresh for each test. */
  let pristine: string;
  let root: string;
  let step2: string;
  let step4: string;
  let weight: string;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-optimizer-state-'));
    await runRecorded(tinyGptRecipe(path.join(dir, 'first'), { trainIters: 4, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] }));
    pristine = path.join(dir, 'first', 'checkpoints');
    const state = await readSafetensorsTensors(path.join(pristine, 'step-000004', 'optimizer.safetensors'));
    // A 2-D weight that is not square, so a transposed moment has another shape.
    weight = [...state].find(([k, t]) => k.endsWith('/m') && t.rank === 2 && t.shape[0] !== t.shape[1])?.[0].slice(0, -2) ?? '';
    tf.dispose([...state.values()]);
    assert.notEqual(weight, '', 'the tiny GPT should have a non-square weight');
  });
  after(() => cleanup());

  let runIndex = 0;
  beforeEach(() => {
    runIndex += 1;
    root = path.join(dir, `copy-${runIndex}`, 'checkpoints');
    fs.cpSync(pristine, root, { recursive: true });
    step2 = path.join(root, 'step-000002');
    step4 = path.join(root, 'step-000004');
  });

  let resumes = 0;
  /** Resumes a new run, in a folder of its own, from `ckpt`. */
  function resume(ckpt: string, options: { trainIters?: number; onTrainerReady?: RunJobOptions['onTrainerReady'] } = {}): ReturnType<typeof runRecorded> {
    resumes += 1;
    return runRecorded(tinyGptRecipe(path.join(dir, `resumed-${resumes}`), { trainIters: options.trainIters ?? 6, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] }), {
      resumeFrom: ckpt,
      onTrainerReady: options.onTrainerReady,
    });
  }

  /** Asserts `run` fails with an OptimizerStateError naming the file, `problem`, and the ways out. */
  async function rejectsWith(run: Promise<unknown>, problem: string): Promise<void> {
    const file = path.join(step4, 'optimizer.safetensors');
    await assert.rejects(run, (error: Error) => {
      assert.ok(error instanceof OptimizerStateError && error instanceof CheckpointError, `expected an OptimizerStateError, got ${error.name}: ${error.message}`);
      assert.ok(error.message.startsWith(`Cannot load optimizer state '${file}': Optimizer state is inconsistent: ${problem}. `), error.message);
      assert.ok(error.message.includes("This optimizer keeps slots 'm', 'v', each of its parameter's shape, for every parameter it has updated."), error.message);
      assert.ok(
        error.message.endsWith(
          `The checkpoint is damaged or was edited by hand: resume from another checkpoint: the newest before it is ${step2} (pass that folder to --resume, or move this one out of the folder); ` +
            `or start a new run from its weights alone (new optimizer state, step 0) with model.from: ${step4}.`,
        ),
        error.message,
      );
      return true;
    });
  }

  it("refuses a parameter's m without its v, naming the file, the parameter, the slots and the ways out", async () => {
    await editOptimizerState(step4, (state) => drop(state, `${weight}/v`));
    const before = tf.memory().numTensors;
    await rejectsWith(resume(step4), `parameter '${weight}' has slot 'm' but is missing 'v'`);
    assert.equal(tf.memory().numTensors, before, 'the failed load left tensors behind');
    // The way out it names works: the checkpoint before it resumes.
    const resumed = await resume(step2);
    assert.equal(resumed.result.globalStep, 6);
  });

  it("refuses a parameter's v without its m", async () => {
    await editOptimizerState(step4, (state) => drop(state, `${weight}/m`));
    await rejectsWith(resume(step4), `parameter '${weight}' has slot 'v' but is missing 'm'`);
  });

  it('refuses a slot whose shape is not its parameter\'s, naming the shape expected and found', async () => {
    let found: number[] = [];
    await editOptimizerState(step4, (state) => {
      const m = state.get(`${weight}/m`) as tf.Tensor;
      found = [...m.shape].reverse();
      state.set(`${weight}/m`, m.reshape(found));
      m.dispose();
    });
    const expected = [found[1], found[0]];
    await rejectsWith(resume(step4), `slot 'm' of parameter '${weight}' has shape [${found.join(', ')}], expected the parameter's [${expected.join(', ')}]`);
  });

  it('without a checkpoint before it, says to resume from another one', async () => {
    fs.rmSync(step2, { recursive: true });
    await editOptimizerState(step4, (state) => drop(state, `${weight}/v`));
    await assert.rejects(resume(step4), (error: Error) => {
      assert.ok(error instanceof OptimizerStateError, error.message);
      assert.ok(error.message.includes(`The checkpoint is damaged or was edited by hand: resume from another checkpoint; or start a new run from its weights alone`), error.message);
      return true;
    });
  });

  it('still loads a state with no slots at all (every parameter starts fresh), as before', async () => {
    await editOptimizerState(step4, (state) => {
      for (const key of [...state.keys()]) if (key !== 'step') drop(state, key);
    });
    let loaded: Record<string, string> = {};
    const resumed = await resume(step4, {
      onTrainerReady: (trainer) => {
        const state = trainer.optimizer.getState();
        loaded = bits(state);
        tf.dispose([...state.values()]);
      },
    });
    assert.deepEqual(Object.keys(loaded), ['step']);
    assert.equal(resumed.result.globalStep, 6);
  });

  it('loads a complete checkpoint bit-exactly, also after a rewrite that changes nothing', async () => {
    const file = path.join(step4, 'optimizer.safetensors');
    const saved = await readSafetensorsTensors(file);
    const expected = bits(saved);
    tf.dispose([...saved.values()]);
    assert.ok(Object.keys(expected).length > 1, 'the checkpoint should hold moments');
    for (const rewrite of [false, true]) {
      if (rewrite) {
        const original = fileBytes(step4, 'optimizer.safetensors');
        await editOptimizerState(step4, () => undefined);
        assert.ok(fileBytes(step4, 'optimizer.safetensors').equals(original), 'the rewrite should reproduce the file byte for byte');
      }
      let loaded: Record<string, string> = {};
      await resume(step4, {
        trainIters: 4,
        onTrainerReady: (trainer) => {
          const state = trainer.optimizer.getState();
          loaded = bits(state);
          tf.dispose([...state.values()]);
        },
      });
      assert.deepEqual(loaded, expected, rewrite ? 'after the rewrite' : 'as saved');
    }
  });
});

describe('loading optimizer state of a parameter first updated mid-run', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  /** The parameter that got no gradient in steps 1-2: no state at step 2, its own count (2) at step 4. */
  let late = '';

  /** Trains 4 steps into `name` (checkpoints at 2 and 4) with `late` getting no gradient in steps 1-2. */
  async function trainLate(name: string, fields: Record<string, unknown> = {}): Promise<void> {
    await runRecorded(tinyGptRecipe(path.join(dir, name), { trainIters: 4, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }], ...fields }), {
      onTrainerReady: (trainer) => {
        late = [...trainer.model.params.keys()].find((k) => trainer.model.params.get(k)?.rank === 2) ?? '';
        const opt = trainer.optimizer;
        const apply = opt.applyGradients.bind(opt);
        opt.applyGradients = (params, grads, lr, options) => apply(params, opt.stepCount < 2 ? new Map([...grads].filter(([k]) => k !== late)) : grads, lr, options);
      },
    });
    assert.notEqual(late, '');
  }

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-late-param-'));
    await trainLate('first');
    root = path.join(dir, 'first', 'checkpoints');
  });
  after(() => cleanup());

  function resume(ckpt: string, name: string): ReturnType<typeof runRecorded> {
    return runRecorded(tinyGptRecipe(path.join(dir, name), { trainIters: 6, checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] }), { resumeFrom: ckpt });
  }

  it('resumes a checkpoint saved before the parameter ever got a gradient (no state for it at all)', async () => {
    const step2 = path.join(root, 'step-000002');
    const saved = await readSafetensorsTensors(path.join(step2, 'optimizer.safetensors'));
    const keys = [...saved.keys()];
    tf.dispose([...saved.values()]);
    assert.deepEqual(keys.filter((k) => k.startsWith(`${late}/`)), [], 'the step-2 state should hold nothing for it');
    assert.ok(keys.some((k) => k.endsWith('/m')), 'the other parameters should have moments');
    const resumed = await resume(step2, 'from-step-2');
    assert.equal(resumed.result.globalStep, 6);
  });

  it("refuses its own step count kept with both its m and v removed, naming the parameter, the file and the ways out", async () => {
    const copy = path.join(dir, 'copy', 'checkpoints');
    fs.cpSync(root, copy, { recursive: true });
    const step4 = path.join(copy, 'step-000004');
    await editOptimizerState(step4, (state) => {
      assert.deepEqual(Array.from(state.get(`${late}/step`)?.dataSync() ?? []), [2], 'its own count should be saved');
      drop(state, `${late}/m`);
      drop(state, `${late}/v`);
    });
    const file = path.join(step4, 'optimizer.safetensors');
    const before = tf.memory().numTensors;
    await assert.rejects(resume(step4, 'from-step-4'), (error: Error) => {
      assert.ok(error instanceof OptimizerStateError, `expected an OptimizerStateError, got ${error.name}: ${error.message}`);
      assert.ok(
        error.message.startsWith(
          `Cannot load optimizer state '${file}': Optimizer state is inconsistent: parameter '${late}' has its own step count '${late}/step' but none of its slots 'm', 'v'. `,
        ),
        error.message,
      );
      assert.ok(error.message.includes(`resume from another checkpoint: the newest before it is ${path.join(copy, 'step-000002')}`), error.message);
      return true;
    });
    assert.equal(tf.memory().numTensors, before, 'the failed load left tensors behind');
  });

  it("says the optimizer type changed, not that the checkpoint is damaged, for sgd's bare step counts read by adam", async () => {
    await trainLate('sgd', { optimizer: { type: 'sgd', lr: 0.05 } });
    const step4 = path.join(dir, 'sgd', 'checkpoints', 'step-000004');
    await assert.rejects(resume(step4, 'sgd-to-adamw'), (error: Error) => {
      assert.ok(error instanceof CheckpointError, error.message);
      assert.ok(error.message.includes("the checkpoint was written by optimizer 'sgd' but the recipe asks for 'adamw' (optimizer.type), which cannot take its state."), error.message);
      assert.ok(error.message.includes(`has its own step count '${late}/step' but none of its slots 'm', 'v'`), error.message);
      assert.ok(error.message.includes('Resume with optimizer.type: sgd'), error.message);
      assert.ok(!error.message.includes('damaged'), error.message);
      return true;
    });
  });
});
