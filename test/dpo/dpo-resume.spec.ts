import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Callback, CallbackConfig, CheckpointError, DPO_REFERENCE_FILE, evaluateJob, Logger, Metrics, runJob, Trainer } from '../../src';
import { dpoRecipe } from './dpo-recipe';

/** Keeps each logged step's figures. */
class Losses extends Callback {
  readonly logs: Metrics[] = [];
  override async onLog(m: Metrics): Promise<void> {
    this.logs.push({ ...m });
  }
}

const LORA = { rank: 4, alpha: 8, targets: ['*.attn.*', '*.mlp.*'] };
const quiet = (): Logger => new Logger({ sink: () => undefined });

/** Runs `recipe` (optionally resuming), returning its logged figures per step. */
async function run(recipe: Record<string, unknown>, resumeFrom?: string): Promise<Metrics[]> {
  let losses: Losses | undefined;
  const result = await runJob(recipe, {
    logger: quiet(),
    resumeFrom,
    onTrainerReady: async (t: Trainer) => {
      losses = new Losses(t, new CallbackConfig());
      t.callbackList.callbacks.push(losses);
    },
  });
  assert.equal(result.status, 'finished');
  return (losses as Losses).logs;
}

/** A 6-step dpo recipe saving every 3 steps into `dir`. */
function recipe(dir: string, options: { lora?: unknown; from?: string } = {}): Record<string, unknown> {
  const r = dpoRecipe({ outputDir: dir, lora: options.lora, trainIters: 6, extra: { checkpoint: [{ type: 'floe', saveEveryNSteps: 3 }] } });
  if (options.from !== undefined) r.model = { type: 'gpt', from: options.from, ...(options.lora === undefined ? {} : { lora: options.lora }) };
  return r;
}

const pick = (logs: Metrics[]): Array<[number, number, number]> => logs.map((m) => [m.step, m.loss, m['rewards/margin']]);

describe('DPOTrainer resume', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-dpo-resume-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const lora of [undefined, LORA]) {
    it(`${lora === undefined ? 'without LoRA rebuilds the reference from the seed' : 'with LoRA'}: 3 steps + resume + 3 steps equal 6 steps (losses, rewards, weight bytes), no tensor left`, async () => {
      const before = tf.memory().numTensors;
      const runDir = path.join(dir, 'run');
      const whole = await run(recipe(runDir, { lora }));
      const final = fs.readFileSync(path.join(runDir, 'checkpoints', 'step-000006', 'model.safetensors'));
      const reference = path.join(runDir, 'checkpoints', 'step-000003', DPO_REFERENCE_FILE);
      // Without LoRA the checkpoint records which initial weights were the reference.
      assert.equal(fs.existsSync(reference), lora === undefined);
      if (lora === undefined) assert.match(JSON.parse(fs.readFileSync(reference, 'utf8')).weightsSha256, /^[0-9a-f]{64}$/);
      const resumed = await run(recipe(runDir, { lora }), path.join(runDir, 'checkpoints', 'step-000003'));
      assert.deepEqual(pick(resumed), pick(whole.slice(3)));
      assert.ok(fs.readFileSync(path.join(runDir, 'checkpoints', 'step-000006', 'model.safetensors')).equals(final), 'the resumed run ends with the same weight bytes');
      assert.equal(tf.memory().numTensors, before);
    });
  }

  it("without LoRA rebuilds the reference from model.from, and refuses the resume when model.from's weights changed since the start", async () => {
    // Two checkpoints of one small run: the first is the DPO run's model.from, then swapped for the second.
    const base = path.join(dir, 'base');
    await run({ ...dpoRecipe({ outputDir: base, trainIters: 4, extra: { checkpoint: [{ type: 'floe', saveEveryNSteps: 2 }] } }) });
    const from = path.join(dir, 'from');
    fs.cpSync(path.join(base, 'checkpoints', 'step-000002'), from, { recursive: true });
    const runDir = path.join(dir, 'run');
    // With status.json and report.html, which a refused resume must leave as the earlier run wrote them.
    const runRecipe = (): Record<string, unknown> => ({ ...recipe(runDir, { from }), status: true, metricsLog: true, report: true });
    const whole = await run(runRecipe());
    const resumed = await run(runRecipe(), path.join(runDir, 'checkpoints', 'step-000003'));
    assert.deepEqual(pick(resumed), pick(whole.slice(3)));
    const earlier = ['status.json', 'report.html'].map((f) => fs.readFileSync(path.join(runDir, f), 'utf8'));
    assert.match(earlier[0], /"state": "finished",\n  "step": 6,/);

    fs.rmSync(from, { recursive: true });
    fs.cpSync(path.join(base, 'checkpoints', 'step-000004'), from, { recursive: true });
    const tensors = tf.memory().numTensors;
    await assert.rejects(runJob(runRecipe(), { logger: quiet(), resumeFrom: path.join(runDir, 'checkpoints', 'step-000003') }), (error: Error) => {
      assert.ok(error instanceof CheckpointError, `${error.constructor.name}: ${error.message}`);
      assert.match(error.message, new RegExp(`step-000003'.*dpo-reference\\.json: dpo's reference model, the run's initial weights rebuilt from model\\.from ${from.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, is not the one the run started with \\(weights sha256 [0-9a-f]{12}…, the checkpoint recorded [0-9a-f]{12}… from model\\.from`));
      assert.match(error.message, /Restore model\.from's files/);
      return true;
    });
    assert.equal(tf.memory().numTensors, tensors, 'the refused resume freed the model and the rebuilt reference');
    // Nothing trained: the earlier run's status (finished, step 6) and report stay (were: failed, and a report rewritten).
    assert.deepEqual(['status.json', 'report.html'].map((f) => fs.readFileSync(path.join(runDir, f), 'utf8')), earlier);
    // An evaluation (as generate and export, which never use the reference) runs, and says so.
    const lines: string[] = [];
    await evaluateJob({ ...recipe(runDir, { from }), data: { ...(recipe(runDir).data as object), trainEvalSplit: [0.8, 0.2] } }, { checkpoint: path.join(runDir, 'checkpoints', 'step-000003'), logger: new Logger({ sink: (_level, line) => lines.push(line) }) });
    assert.ok(lines.some((l) => /dpo-reference\.json: dpo's reference model, .* is not the one the run started with .*: the DPO rewards and loss of an evaluation measure against another model/.test(l)), lines.join('\n'));
    assert.equal(tf.memory().numTensors, tensors);
  });
});
