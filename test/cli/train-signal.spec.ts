import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../../..');

describe('floe train stopped by a signal', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-train-signal-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('saves, writes status stopped, and exits with the signal\'s code (143 for SIGTERM)', async () => {
    const run = path.join(dir, 'run');
    const recipe = path.join(dir, 'long.yaml');
    fs.writeFileSync(
      recipe,
      [
        'type: causal',
        'backend: cpu',
        'trainIters: 100000',
        'epochs: 1000',
        'statusInterval: 1',
        'progress: none',
        'distributed: none',
        'tokenizer: { type: byte }',
        'data: { type: causal, sources: [{ type: synthetic, task: addition, count: 200 }], maxLength: 16, trainEvalSplit: [1, 0], cache: false }',
        'model: { type: gpt, layers: 1, heads: 1, dim: 8, maxLength: 16 }',
        'checkpoint: [{ type: floe, saveEveryNSteps: 100000 }]',
        `outputDir: ${JSON.stringify(run)}`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'floe.js'), 'train', recipe], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = fs.existsSync(path.join(run, 'status.json')) ? fs.readFileSync(path.join(run, 'status.json'), 'utf8') : '';
      if (/"step": ([3-9]|\d\d)/.test(status)) break;
      assert.ok(Date.now() < deadline && child.exitCode === null, `no progress:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 143, stderr);
    assert.match(stdout, /^done: \d+ steps? in .* \(stopped: SIGTERM\)$/m);
    assert.match(stdout, /^last checkpoint: .*step-\d{6}$/m);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'status.json'), 'utf8')).state, 'stopped');
  });
});
