import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { STDOUT_CLOSED_WARNING } from '../../src/cli/main';

const REPO = path.resolve(__dirname, '../../..');

/** Runs `floe <args>` with its stdout read until the first line, then closed (as `| head -1` does). */
async function withStdoutClosedEarly(args: string[], cwd: string, options: { stderrToo?: boolean } = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'floe.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // `2>&1 | head -1`: the reader of both streams goes away.
  child.stdout.once('data', () => {
    child.stdout.destroy();
    if (options.stderrToo === true) child.stderr.destroy();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stderr };
}

/** A small supervised recipe in `dir` that logs every step for a few epochs; returns its path and run folder. */
function writeRecipe(dir: string): { run: string; recipe: string } {
  const run = path.join(dir, 'run');
  const recipe = path.join(dir, 'r.yaml');
  const lines = [
    'type: supervised',
    'backend: cpu',
    'distributed: none',
    'epochs: 3',
    'logInterval: 1',
    'progress: lines',
    'data: { type: tabular, sources: [{ type: synthetic-tabular, generator: spirals, count: 400 }] }',
    'model: { type: mlp, hidden: [8] }',
    'loss: { type: cross-entropy }',
    `outputDir: ${JSON.stringify(run)}`,
  ];
  fs.writeFileSync(recipe, `${lines.join('\n')}\n`);
  return { run, recipe };
}

describe('floe train whose stdout reader goes away (| head, quitting less)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-train-epipe-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains to the end, saves and finishes with exit 0, saying so on stderr (it exited 0 at once: no checkpoint, no status)', async () => {
    const { run, recipe } = writeRecipe(dir);
    const { code, stderr } = await withStdoutClosedEarly(['train', recipe], dir);
    assert.equal(code, 0, stderr);
    assert.ok(stderr.includes(`warn: ${STDOUT_CLOSED_WARNING}`), stderr);
    const status = JSON.parse(fs.readFileSync(path.join(run, 'status.json'), 'utf8')) as { state: string; step: number; totalSteps: number; checkpoint: string };
    assert.equal(status.state, 'finished');
    assert.equal(status.step, status.totalSteps);
    assert.ok(fs.existsSync(path.join(status.checkpoint, 'manifest.json')), status.checkpoint);
  });

  it('also when stderr goes into the same pipe (2>&1 | head), which crashed the run with an unhandled EPIPE', async () => {
    const { run, recipe } = writeRecipe(dir);
    const { code } = await withStdoutClosedEarly(['train', recipe], dir, { stderrToo: true });
    assert.equal(code, 0);
    const status = JSON.parse(fs.readFileSync(path.join(run, 'status.json'), 'utf8')) as { state: string; step: number; totalSteps: number };
    assert.equal(status.state, 'finished');
    assert.equal(status.step, status.totalSteps);
  });

  it('other commands still end quietly with exit 0 (floe list | head)', async () => {
    const { code, stderr } = await withStdoutClosedEarly(['list'], dir);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
  });
});
