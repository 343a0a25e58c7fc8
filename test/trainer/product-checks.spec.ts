import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { FactoryList, FloeModel, Logger, LrSchedule, ModelConfig, ModelFactory, register, runJob, SchedulerConfig, SchedulerFactory, TrainingError } from '../../src';
import { checkProduct } from '../../src/trainer/product-checks';
import { TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

class StepLr {}

describe('checkProduct', () => {
  it('names the factory, its build method and every problem', () => {
    assert.throws(
      () => checkProduct('model', new StepLr(), { params: new Map([['w', tf.zeros([2])]]), parameterCount: () => 2 }),
      (e: Error) => {
        assert.ok(e instanceof TrainingError);
        assert.equal(
          e.message,
          [
            'model (StepLr): what createModel() built is not usable:',
            '  - dispose() is missing (undefined)',
            "  - params 'w' is a tf.Tensor, not a tf.Variable: wrap it, tf.variable(tensor, true, name)",
          ].join('\n'),
        );
        return true;
      },
    );
  });

  it('checks loaders, schedules and their first learning rate', () => {
    assert.throws(() => checkProduct('data', {}, { train: { length: 2.5, batches: () => [] } }), /train\.length is the number 2\.5; it must be a whole number ≥ 0\n  - train\.numExamples is undefined/);
    assert.throws(() => checkProduct('data', {}, Promise.resolve({})), /returned a Promise \(await it, or drop async\)/);
    assert.throws(() => checkProduct('scheduler', {}, () => Number.NaN), /its schedule returned the number NaN for step 0; it must return a finite learning rate ≥ 0/);
    assert.throws(
      () =>
        checkProduct('scheduler', {}, () => {
          throw new RangeError('no lr before warmup');
        }),
      /its schedule threw for step 0 at \S*product-checks\.spec\.js:\d+:\d+: no lr before warmup/,
    );
    assert.throws(() => checkProduct('optimizer', {}, { applyGradients: () => undefined }), /getState\(\) is missing.*\n  - setState\(\) is missing/);
  });

  it("refuses a tokenizer whose special ids are outside [0, vocabSize) (was tfjs's GatherV2 error in loss())", () => {
    const tok = { vocabSize: 5, bosId: 5, eosId: 1.5, padId: 4, encode: () => [], decode: () => '' };
    assert.throws(
      () => checkProduct('tokenizer', {}, tok),
      /bosId is the number 5; it must be a whole number in \[0, 5\) \(vocabSize 5: special ids are ids of the vocabulary\)\n  - eosId is the number 1\.5; it must be a whole number in \[0, 5\)/,
    );
    checkProduct('tokenizer', {}, { ...tok, bosId: 2, eosId: 3 });
  });

  it('accepts well-formed products', () => {
    const w = tf.variable(tf.zeros([2]));
    try {
      checkProduct('model', {}, { params: new Map([['w', w]]), parameterCount: () => 2, dispose: () => undefined });
      checkProduct('scheduler', {}, (() => 1e-3) as LrSchedule);
      checkProduct('data', {}, { train: { length: 0, numExamples: 0, batches: () => [] } });
    } finally {
      w.dispose();
    }
  });
});

describe('a plugin factory building the wrong thing', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-product-checks-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (type: string, extra: Record<string, unknown> = {}): Promise<unknown> =>
    runJob({ type, backend: 'cpu', distributed: 'none', microBatchSize: 8, outputDir: path.join(dir, type), checkpoint: [], ...extra }, { logger: new Logger({ sink: () => undefined }) });

  it('fails at setup naming the scheduler whose createSchedule() returned a number (was: this.scheduler is not a function at step 1)', async () => {
    class NumberScheduleFactory extends SchedulerFactory {
      static override readonly type = 'number-schedule';
      static override readonly configType = SchedulerConfig;
      createSchedule(): LrSchedule {
        return 0.01 as unknown as LrSchedule;
      }
    }
    register(NumberScheduleFactory);
    class T extends TinyTrainer {
      static override readonly type = 'number-schedule-trainer';
      static override readonly schedulerFactoryType: FactoryList = [NumberScheduleFactory];
    }
    register(T);
    await assert.rejects(run('number-schedule-trainer'), /^TrainingError: scheduler 'number-schedule' \(NumberScheduleFactory\): what createSchedule\(\) built is not usable:\n  - returned the number 0\.01; it must return the schedule itself/);
  });

  it('names the scheduler and the step when its schedule turns negative mid-run (was: a bare "Learning rate must be a finite number >= 0")', async () => {
    class OvershootScheduleFactory extends SchedulerFactory {
      static override readonly type = 'overshoot';
      static override readonly configType = SchedulerConfig;
      createSchedule(): LrSchedule {
        // A linear decay written for 2 steps, so step 3 asks for a negative lr.
        return (step) => 0.01 * (1 - step / 2);
      }
    }
    register(OvershootScheduleFactory);
    class T extends TinyTrainer {
      static override readonly type = 'overshoot-trainer';
      static override readonly schedulerFactoryType: FactoryList = [OvershootScheduleFactory];
    }
    register(T);
    await assert.rejects(
      run('overshoot-trainer', { trainIters: 5 }),
      (e: Error) => {
        assert.ok(e instanceof TrainingError, String(e));
        assert.equal(e.message, "scheduler 'overshoot' (OvershootScheduleFactory): its schedule returned the number -0.005 for step 3 (optimizer step 4); it must return a finite learning rate ≥ 0");
        return true;
      },
    );
  });

  it('names the factory, its build method and the plugin line when the build method throws', async () => {
    class MissingFileModelFactory extends ModelFactory {
      static override readonly type = 'missing-file';
      static override readonly configType = ModelConfig;
      async createModel(): Promise<FloeModel> {
        throw Object.assign(new Error("ENOENT: no such file or directory, open 'weights.bin'"), { code: 'ENOENT' });
      }
    }
    register(MissingFileModelFactory);
    class T extends TinyTrainer {
      static override readonly type = 'missing-file-trainer';
      static override readonly modelFactoryType: FactoryList = [MissingFileModelFactory];
    }
    register(T);
    await assert.rejects(run('missing-file-trainer'), (e: Error) => {
      assert.ok(e instanceof TrainingError, String(e));
      assert.match(e.message, /^model 'missing-file' \(MissingFileModelFactory\): createModel\(\) failed at \S*product-checks\.spec\.js:\d+:\d+: ENOENT: no such file or directory, open 'weights\.bin'$/);
      assert.equal((e.cause as { code?: string }).code, 'ENOENT');
      return true;
    });
  });

  it("reports a model without params, not cleanup's 'dispose is not a function'", async () => {
    class HollowModelFactory extends ModelFactory {
      static override readonly type = 'hollow';
      static override readonly configType = ModelConfig;
      async createModel(): Promise<FloeModel> {
        return {} as FloeModel;
      }
    }
    register(HollowModelFactory);
    class T extends TinyTrainer {
      static override readonly type = 'hollow-trainer';
      static override readonly modelFactoryType: FactoryList = [HollowModelFactory];
    }
    register(T);
    await assert.rejects(run('hollow-trainer'), /^TrainingError: model 'hollow' \(HollowModelFactory\): what createModel\(\) built is not usable:\n  - params is undefined/);
  });
});
