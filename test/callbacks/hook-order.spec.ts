import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { Callback, FactoryList, Metrics, register, runJob, Trainer, TrainerControl } from '../../src';
import { TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe } from './fixtures/tiny-run';

const events: string[] = [];

/** Records every hook with the optimizer step (and micro-batches consumed) at that moment. */
class RecordingCallback extends Callback {
  static override readonly type = 'test-recorder';
  private at(hook: string): void {
    events.push(`${hook}@${this.trainer.globalStep}`);
  }
  override async onTrainBegin(): Promise<void> {
    this.at('trainBegin');
  }
  override async onTrainEnd(): Promise<void> {
    this.at('trainEnd');
  }
  override async onEpochBegin(): Promise<void> {
    this.at('epochBegin');
  }
  override async onEpochEnd(): Promise<void> {
    this.at('epochEnd');
  }
  override async onStepBegin(): Promise<void> {
    this.at('stepBegin');
  }
  override async onBeforeOptimizerStep(): Promise<void> {
    this.at(`beforeOptimizerStep(batch ${this.trainer.state.batchInEpoch})`);
  }
  override async onStepEnd(): Promise<void> {
    this.at('stepEnd');
  }
  override async onLog(metrics: Metrics): Promise<void> {
    this.at(`log(step ${metrics.step})`);
  }
  override async onEvaluate(metrics: Metrics): Promise<void> {
    this.at(`evaluate(${Object.keys(metrics).join(',')})`);
  }
  override async onSave(dir: string, _control: TrainerControl): Promise<void> {
    this.at(`save(${dir.split(/[\\/]/).pop()})`);
  }
}

describe('Callback hooks', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('hooks');
    events.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fire in order across an epoch with gradient accumulation, evaluation and the end checkpoint', async () => {
    register(RecordingCallback);
    const before = tf.memory().numTensors;
    // 40 examples / 8 = 5 micro-batches; accumulating 2 gives steps of 2, 2 and a final partial 1.
    const result = await runJob(
      tinyRecipe(dir, { data: { examples: 40 }, gradientAccumulationSteps: 2, evalInterval: 2, callbacks: [{ type: 'test-recorder' }] }),
      { logger: captureLogger() },
    );
    assert.equal(result.globalStep, 3);
    assert.deepEqual(events, [
      'trainBegin@0',
      'epochBegin@0',
      'stepBegin@0',
      'beforeOptimizerStep(batch 2)@0',
      'stepEnd@1',
      'log(step 1)@1',
      'stepBegin@1',
      'beforeOptimizerStep(batch 4)@1',
      'stepEnd@2',
      'log(step 2)@2',
      'evaluate(eval/loss)@2',
      'stepBegin@2',
      'beforeOptimizerStep(batch 5)@2',
      'stepEnd@3',
      'log(step 3)@3',
      'epochEnd@3',
      'evaluate(eval/loss)@3',
      'save(step-000003)@3',
      'trainEnd@3',
    ]);
    assert.equal(tf.memory().numTensors, before, 'run left tensors behind');
  });

  it('runs callbacks a trainer subclass declares in callbackType, without a recipe entry', async () => {
    register(RecordingCallback);
    class ObservedTrainer extends TinyTrainer {
      static override readonly type: string = 'tiny-observed';
      static override readonly callbackType: FactoryList = [RecordingCallback];
    }
    register(ObservedTrainer);
    await runJob(tinyRecipe(dir, { type: 'tiny-observed', data: { examples: 16 } }), { logger: captureLogger() });
    assert.equal(events[0], 'trainBegin@0');
    assert.equal(events.filter((e) => e.startsWith('stepEnd')).length, 2);
    assert.equal(events[events.length - 1], 'trainEnd@2');
  });

  it('adds the always-on callbacks by the recipe fields, once, and lets the recipe configure one', async () => {
    const types: string[][] = [];
    const record = (trainer: Trainer): void => {
      types.push(trainer.callbackList.callbacks.map((c) => (c.constructor as typeof Callback).type));
    };
    await runJob(tinyRecipe(`${dir}/a`, { data: { examples: 8 }, tensorboard: true, report: true, progress: 'lines', killSwitchFile: 'STOP' }), { logger: captureLogger(), onTrainerReady: record });
    await runJob(
      tinyRecipe(`${dir}/b`, { data: { examples: 8 }, quiet: true, progress: 'auto', metricsLog: false, status: false, handleSignals: false, callbacks: [{ type: 'status', interval: 3 }] }),
      { logger: captureLogger(), onTrainerReady: record },
    );
    assert.deepEqual(types[0], ['signal-stop', 'kill-switch', 'metrics-jsonl', 'tensorboard', 'status', 'progress', 'report']);
    assert.deepEqual(types[1], ['status', 'progress']);
  });
});
