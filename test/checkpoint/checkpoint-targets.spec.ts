import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError, readTrainerStateFile, writeManifest } from '../../src';
import '../fixtures/tiny-regression';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';
import { cli as runCliCaptured } from '../support/cli-run';

/** The test-only linear regression trainer: 8 batches per epoch, an eval split of 16 rows. */
function tinyRecipe(outputDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'tiny', backend: 'cpu', ...QUIET_RUN, epochs: 2, microBatchSize: 8, logInterval: 4, outputDir, optimizer: { type: 'adam', lr: 0.05 }, callbacks: [], ...overrides };
}

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  const run = await runCliCaptured(...argv);
  return { code: run.code, err: run.err.join('\n') };
}

const WEIGHTS_ONLY = /is a weights-only export, written by a safetensors, tfjs or hf checkpoint engine or floe export: .* cannot be resumed or loaded as a checkpoint\. Pass a floe checkpoint instead/;

describe('what a checkpoint path may name', () => {
  let dir: string;
  let run: string;
  let cleanup: () => Promise<void>;
  // One run: floe checkpoints at 4, 8, 12, 16 and a safetensors export at 6, 12 and at the end (16), saved after the floe one.
  before(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-ck-targets-'));
    run = path.join(dir, 'run');
    const checkpoint = [
      { type: 'floe', saveEveryNSteps: 4, dir: 'ck' },
      { type: 'safetensors', saveEveryNSteps: 6 },
    ];
    const { result } = await runRecorded(tinyRecipe(run, { status: true, checkpoint }));
    assert.equal(result.globalStep, 16);
    lastCheckpoint = result.lastCheckpointPath;
  });
  after(() => cleanup());
  let lastCheckpoint: string | undefined;

  it('the run\'s last checkpoint (result and status.json) is the newest floe one, not an export saved after it', () => {
    const floe = path.join(run, 'ck', 'step-000016');
    assert.ok(fs.existsSync(path.join(run, 'safetensors', 'step-000016')), 'the export was saved at the same step, after it');
    assert.equal(lastCheckpoint, floe);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'status.json'), 'utf8')).checkpoint, floe);
  });

  it('a step folder named without its zero padding suggests the real one', async () => {
    const short = path.join(run, 'ck', 'step-12');
    const r = await cli('export', '--checkpoint', short, '--format', 'tfjs', '--out', path.join(dir, 'padded'));
    assert.equal(r.code, 1);
    assert.ok(r.err.endsWith(`the path does not exist (resolved to ${short}). Did you mean ${path.join(run, 'ck', 'step-000012')}?`), r.err);
  });

  it('--resume, export and predict refuse a weights-only export, saying what it is', async () => {
    const exported = path.join(run, 'safetensors', 'step-000012');
    await assert.rejects(runRecorded(tinyRecipe(path.join(dir, 'r1'), { epochs: 3 }), { resumeFrom: exported }), (e: Error) => e instanceof CheckpointError && WEIGHTS_ONLY.test(e.message));
    // A folder of exports names its newest.
    await assert.rejects(runRecorded(tinyRecipe(path.join(dir, 'r2'), { epochs: 3 }), { resumeFrom: path.join(run, 'safetensors') }), /holds only weights-only exports \(newest: .*step-000016\)/);
    const exportCli = await cli('export', '--checkpoint', exported, '--format', 'tfjs', '--out', path.join(dir, 'web'));
    assert.equal(exportCli.code, 1);
    assert.match(exportCli.err, WEIGHTS_ONLY);
    const input = path.join(dir, 'rows.jsonl');
    fs.writeFileSync(input, '[1, 2, 3, 4]\n');
    const predictCli = await cli('predict', '--checkpoint', exported, '--input', input, '--backend', 'cpu');
    assert.equal(predictCli.code, 1);
    assert.match(predictCli.err, WEIGHTS_ONLY);
    // floe export's own output is refused the same way.
    const out = path.join(dir, 'st');
    assert.equal((await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', out)).code, 0);
    assert.match((await cli('export', '--checkpoint', out, '--format', 'tfjs', '--out', path.join(dir, 'web'))).err, WEIGHTS_ONLY);
  });

  it('a run folder whose floe engine has a custom dir resumes and exports from that dir', async () => {
    const resumed = await runRecorded(tinyRecipe(path.join(dir, 'r3'), { epochs: 3, checkpoint: [{ type: 'floe', dir: 'ck' }] }), { resumeFrom: run });
    assert.ok(resumed.lines.some((l) => l.includes(`${path.join('ck', 'step-000016')} at step 16`)), resumed.lines.join('\n'));
    assert.equal(resumed.result.globalStep, 24);
    const r = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', path.join(dir, 'st2'));
    assert.equal(r.code, 0, r.err);

    // Without the run's recorded recipe, the error says where it looked and what to pass instead.
    const bare = path.join(dir, 'bare');
    fs.cpSync(path.join(run, 'ck'), path.join(bare, 'ck'), { recursive: true });
    const missing = await cli('export', '--checkpoint', bare, '--format', 'safetensors', '--out', path.join(dir, 'st3'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /found no complete step-N checkpoint in .*bare, .*bare\/checkpoints\. A floe engine with a custom dir keeps its checkpoints there: pass that folder/);
    // The recipe of the resuming run names the dir.
    const fromRecipe = await runRecorded(tinyRecipe(path.join(dir, 'r4'), { epochs: 3, checkpoint: [{ type: 'floe', dir: 'ck' }] }), { resumeFrom: bare });
    assert.equal(fromRecipe.result.globalStep, 24);
  });

  it('a run folder of a run trained without a floe engine (checkpoint: []) says it saved none, not to look in a custom dir', async () => {
    const none = path.join(dir, 'none');
    await runRecorded(tinyRecipe(none, { checkpoint: [] }));
    const shown = path.relative(process.cwd(), none);
    for (const argv of [['export', '--checkpoint', none, '--format', 'safetensors', '--out', path.join(dir, 'st-none')], ['evaluate', none]]) {
      const missing = await cli(...argv);
      assert.equal(missing.code, 1, argv[0]);
      assert.ok(
        missing.err.includes(`found no complete step-N checkpoint in ${shown}, ${path.join(shown, 'checkpoints')}. Its recipe (${path.join(shown, 'recipe.resolved.yaml')}) has no floe checkpoint engine, so the run saved none: train with one (checkpoint: [{ type: floe }]) to have a checkpoint.`),
        missing.err,
      );
      assert.ok(!missing.err.includes('custom dir'), missing.err);
    }
    await assert.rejects(runRecorded(tinyRecipe(path.join(dir, 'none2')), { resumeFrom: none }), (e: Error) => e instanceof CheckpointError && /has no floe checkpoint engine, so the run saved none/.test(e.message));
  });

  it('export --out under a file or where no folder can be made is a CheckpointError naming --out', async () => {
    const file = path.join(dir, 'afile');
    fs.writeFileSync(file, 'x');
    const underFile = await cli('export', '--checkpoint', run, '--format', 'safetensors', '--out', path.join(file, 'x'));
    assert.equal(underFile.code, 1, underFile.err);
    assert.match(underFile.err, /^error: Cannot write the export to --out '.*afile\/x' .*: a part of the path is a file, not a folder \(ENOTDIR\)/);
    if (process.platform === 'linux') {
      const proc = await cli('export', '--checkpoint', run, '--format', 'tfjs', '--out', '/proc/floe-export');
      assert.equal(proc.code, 1, proc.err);
      assert.match(proc.err, /^error: Cannot write the export to --out '\/proc\/floe-export'/);
    }
  });

  it('a trainer-state.json that is not an object is a CheckpointError naming the file', async () => {
    const copy = path.join(dir, 'null-state');
    fs.cpSync(path.join(run, 'ck', 'step-000016'), copy, { recursive: true });
    const file = path.join(copy, 'trainer-state.json');
    for (const text of ['null', '[1]', '"state"']) {
      fs.writeFileSync(file, text);
      await writeManifest(copy);
      await assert.rejects(readTrainerStateFile(copy), (e: Error) => e instanceof CheckpointError && e.message.startsWith(`Invalid trainer state '${file}': expected a JSON object`));
    }
    const r = await cli('export', '--checkpoint', copy, '--format', 'safetensors', '--out', path.join(dir, 'st4'));
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: Invalid trainer state '.*trainer-state\.json': expected a JSON object with format, version and state, got a string\.$/);
  });

  it('keepBest with a metric evaluation never produces warns once, listing the metrics it has', async () => {
    const r = await runRecorded(tinyRecipe(path.join(dir, 'best'), { evalInterval: 4, checkpoint: [{ type: 'floe', saveEveryNSteps: 4, keepBest: { metric: 'eval/typo' } }] }));
    const warnings = r.lines.filter((l) => l.includes('keepBest'));
    assert.deepEqual(warnings, ["warn: checkpoint[0].keepBest.metric: evaluation has no metric 'eval/typo' (it has: eval/loss); no checkpoint is kept as the best"]);
    const good = await runRecorded(tinyRecipe(path.join(dir, 'best2'), { evalInterval: 4, checkpoint: [{ type: 'floe', saveEveryNSteps: 4, keepBest: { metric: 'eval/loss' } }] }));
    assert.deepEqual(good.lines.filter((l) => l.includes('keepBest')), []);
  });
});
