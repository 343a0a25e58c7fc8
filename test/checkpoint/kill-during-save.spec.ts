import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findCheckpoints, verifyManifest } from '../../src/checkpoint';
import { fileBytes, runRecorded, tinyGptRecipe } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

const CHILD = path.join(__dirname, 'fixtures', 'kill-target.js');

/** Starts the child and resolves with the first stdout line matching `pattern` (and the child). */
function startChild(args: string[], pattern: RegExp, nth = 1): { child: ChildProcess; matched: Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    let buffered = '';
    let seen = 0;
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = pattern.exec(line);
        if (m !== null && ++seen === nth) resolve(m);
      }
    });
    child.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before printing ${pattern}:\n${stderr}`)));
  });
  return { child, matched };
}

function killed(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
    else child.on('exit', (_code, signal) => resolve(signal));
    child.kill('SIGKILL');
  });
}

describe('kill -9 during a save', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-kill-')));
  afterEach(() => cleanup());

  it('leaves the previous checkpoint intact, and autoResume continues from it exactly', async () => {
    const run = path.join(dir, 'run');
    const { child, matched } = startChild([run, 'hang', '3'], /^HANGING (.+)$/);
    const tmp = (await matched)[1];
    assert.equal(await killed(child), 'SIGKILL');

    // Step 3's files were all written into the hidden temp folder, which was never renamed into place.
    assert.ok(path.basename(tmp).startsWith('.step-000003.tmp-'), tmp);
    const inTemp = fs.readdirSync(tmp).sort();
    assert.ok(inTemp.includes('model.safetensors') && inTemp.includes('optimizer.safetensors') && !inTemp.includes('manifest.json'), inTemp.join(', '));
    const root = path.join(run, 'checkpoints');
    const found = await findCheckpoints(root);
    assert.deepEqual(found.map((c) => c.step), [2, 1]);
    await verifyManifest(found[0].dir);

    const checkpoint = [{ type: 'floe', saveEveryNSteps: 1, autoResume: true }];
    const resumed = await runRecorded(tinyGptRecipe(run, { trainIters: 6, checkpoint }));
    assert.ok(resumed.lines.some((l) => l.includes('auto-resumed from') && l.includes('step-000002') && l.includes('at step 2')), resumed.lines.join('\n'));
    assert.equal(resumed.result.globalStep, 6);
    assert.ok(!fs.existsSync(tmp), 'the dead save\'s temp folder is cleaned up by the next save');

    const reference = await runRecorded(tinyGptRecipe(path.join(dir, 'reference'), { trainIters: 6 }));
    assert.deepEqual([3, 4, 5, 6].map((s) => resumed.losses.get(s)), [3, 4, 5, 6].map((s) => reference.losses.get(s)));
    const last = (r: string): Buffer => fileBytes(path.join(r, 'checkpoints', 'step-000006'), 'model.safetensors');
    assert.ok(last(run).equals(last(path.join(dir, 'reference'))), 'resumed weights differ from an uninterrupted run');
  });

  it('killed at an arbitrary moment of a run that saves every step, every complete checkpoint verifies', async () => {
    const run = path.join(dir, 'run');
    const { child, matched } = startChild([run, 'run', '200'], /^SAVED (\d+)$/, 4);
    await matched;
    // Land somewhere in the following steps and saves (a save is most of a tiny model's step).
    await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 60)));
    assert.equal(await killed(child), 'SIGKILL');
    const root = path.join(run, 'checkpoints');
    const found = await findCheckpoints(root);
    assert.ok(found.length >= 4, `found ${found.length} checkpoints`);
    for (const c of found) await verifyManifest(c.dir);
    const resumed = await runRecorded(tinyGptRecipe(run, { trainIters: found[0].step + 2, checkpoint: [{ type: 'floe', saveEveryNSteps: 1, autoResume: true }] }));
    assert.ok(resumed.lines.some((l) => l.includes(`at step ${found[0].step}`)), resumed.lines.join('\n'));
    assert.equal(resumed.result.globalStep, found[0].step + 2);
    assert.deepEqual(fs.readdirSync(root).filter((n) => n.startsWith('.')), [], 'temp folders left behind');
  });
});
