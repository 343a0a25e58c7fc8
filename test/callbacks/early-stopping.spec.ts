import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EarlyStoppingCallback, EarlyStoppingConfig, Logger, Metrics, register, runJob, Trainer, TrainerControl } from '../../src';
import { TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { captureLogger, tempDir, tinyRecipe } from './fixtures/tiny-run';

/** eval/score per evaluation, in order (evaluation i, 1-based, happens at step 2·i); halving after the first ten. */
const SCRIPT = [1.0, 0.5, 0.45, 0.46, 0.44, 0.3, 0.2, 0.1, 0.05, 0.01];
const scripted = (i: number): number => (i < SCRIPT.length ? SCRIPT[i] : SCRIPT[SCRIPT.length - 1] * 0.5 ** (i - SCRIPT.length + 1));

class ScriptedEvalTrainer extends TinyTrainer {
  static override readonly type: string = 'tiny-scripted-eval';
  evaluations = 0;
  override async evaluate(): Promise<Metrics> {
    return { 'eval/score': scripted(this.evaluations++) };
  }
}

function callback(fields: Partial<EarlyStoppingConfig>, trainer: { globalStep: number; logger: Logger }): EarlyStoppingCallback {
  return new EarlyStoppingCallback(trainer as unknown as Trainer, Object.assign(new EarlyStoppingConfig(), fields));
}

describe('EarlyStoppingCallback', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('early');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stops at the evaluation that exhausts patience, saves there and reports the best step', async () => {
    register(ScriptedEvalTrainer);
    const steps: number[] = [];
    const recipe = (out: string, minDelta: number): Record<string, unknown> =>
      tinyRecipe(out, {
        type: 'tiny-scripted-eval',
        epochs: 10,
        evalInterval: 2,
        logInterval: 100,
        callbacks: [{ type: 'early-stopping', metric: 'eval/score', patience: 2, minDelta }],
      });
    // minDelta 0.1: 1.0 (step 2) → 0.5 improves (step 4); 0.45 and 0.46 do not beat 0.4 → stop at step 8.
    const result = await runJob(recipe(path.join(dir, 'a'), 0.1), { logger: captureLogger(), onTrainerReady: (t) => void steps.push(t.trainingHorizon) });
    assert.equal(steps[0], 80);
    assert.equal(result.status, 'stopped');
    assert.equal(result.globalStep, 8);
    assert.match(result.stopReason ?? '', /^early stopping at step 8: eval\/score did not improve by more than 0\.1 for 2 evaluation\(s\) \(best 0\.50000 at step 4\)$/);
    assert.ok(fs.existsSync(path.join(dir, 'a', 'checkpoints', 'step-000008', 'manifest.json')));
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'a', 'status.json'), 'utf8'));
    assert.equal(status.state, 'stopped');
    assert.equal(status.stopReason, result.stopReason);

    // minDelta 0: 0.45 improves, 0.46 waits, 0.44 improves, then improvements all the way → runs to the end.
    const full = await runJob(recipe(path.join(dir, 'b'), 0), { logger: captureLogger() });
    assert.equal(full.status, 'finished');
    assert.equal(full.globalStep, 80);
  });

  it('watches a higher-is-better metric in mode max and ignores evaluations without the metric', async () => {
    const lines: string[] = [];
    const trainer = { globalStep: 0, logger: captureLogger(lines) };
    const cb = callback({ metric: 'eval/acc', mode: 'max', patience: 2, minDelta: 0.01 }, trainer);
    const control = new TrainerControl();
    const feed = async (step: number, metrics: Metrics): Promise<void> => {
      trainer.globalStep = step;
      await cb.onEvaluate(metrics, control);
    };
    await feed(1, { 'eval/acc': 0.5 });
    await feed(2, { 'eval/acc': 0.6 });
    await feed(3, { 'eval/loss': 1 });
    await feed(4, { 'eval/acc': 0.605 });
    assert.equal(control.shouldStop, false);
    assert.deepEqual(cb.best, { value: 0.6, step: 2 });
    await feed(5, { 'eval/acc': 0.59 });
    assert.equal(control.shouldStop, true);
    assert.match(control.stopReason ?? '', /at step 5: eval\/acc .* \(best 0\.60000 at step 2\)/);
    assert.deepEqual(lines, ["warn: early-stopping: evaluation has no metric 'eval/acc' (it has: eval/loss)"]);
  });

  it('warns that it never stops a run that evaluates only at its end (evalInterval 0, the default); it said nothing', async () => {
    register(ScriptedEvalTrainer);
    const warnings = async (out: string, evalInterval: unknown): Promise<string[]> => {
      const lines: string[] = [];
      const recipe = tinyRecipe(path.join(dir, out), { type: 'tiny-scripted-eval', epochs: 2, evalInterval, callbacks: [{ type: 'early-stopping', metric: 'eval/score' }] });
      await runJob(recipe, { logger: captureLogger(lines) });
      return lines.filter((l) => l.startsWith('warn: early-stopping'));
    };
    assert.deepEqual(await warnings('none', 0), [
      'warn: early-stopping: evalInterval is 0, so evaluations run only when training ends and this callback never stops it; set evalInterval (e.g. --set evalInterval=10%) to evaluate during training',
    ]);
    assert.deepEqual(await warnings('every', 2), []);
    assert.deepEqual(await warnings('share', '25%'), []);
  });

  it('counts a NaN metric as no improvement', async () => {
    const trainer = { globalStep: 0, logger: captureLogger() };
    const cb = callback({ patience: 1 }, trainer);
    const control = new TrainerControl();
    await cb.onEvaluate({ 'eval/loss': 2 }, control);
    await cb.onEvaluate({ 'eval/loss': NaN }, control);
    assert.equal(control.shouldStop, true);
  });
});
