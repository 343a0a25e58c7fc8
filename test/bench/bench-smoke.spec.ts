import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';

// `npm run bench` is no test of speed, but it must keep running: a recipe rule once made it refuse
// its own model (vocab 256 under the 259-id byte tokenizer) and nothing noticed.
const DIST = path.join(__dirname, '..', '..');

function runJson(script: string, args: string[]): Record<string, any> {
  const out = execFileSync(process.execPath, [path.join(DIST, 'bench', script), ...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as Record<string, any>;
}

describe('benchmarks (smoke)', () => {
  it('npm run bench trains the reference model with Floe and by hand to the same loss, leaking no tensors', () => {
    const report = runJson('bench.js', ['--backend', 'wasm', '--data-parallel', 'off', '--warmup', '3', '--steps', '10']);
    const wasm = report.backends[0];
    assert.equal(wasm.backend, 'wasm');
    for (const loop of wasm.loops) {
      assert.ok(loop.tokensPerSec > 0 && Number.isFinite(loop.tokensPerSec), `${loop.name}: ${loop.tokensPerSec} tok/s`);
      assert.equal(loop.tensorGrowth, 0, `${loop.name} left tensors behind`);
    }
    // Same init, data and AdamW: the two loops are two implementations of one step.
    assert.ok(Number.isFinite(wasm.lastLoss.floe), JSON.stringify(wasm.lastLoss));
    assert.ok(Math.abs(wasm.lastLoss.floe - wasm.lastLoss['hand-written']) < 1e-4, JSON.stringify(wasm.lastLoss));
  });

  it('the data-parallel bench trains in one process, 1 worker and workers: auto', () => {
    const report = runJson('data-parallel-bench.js', ['--warmup', '2', '--steps', '4', '--rounds', '1']);
    assert.deepEqual(
      report.runs.map((r: { label: string }) => r.label.replace(/\(\d+\)/, '(N)')),
      ['1 process', '1 worker', 'auto (N)'],
    );
    for (const run of report.runs) assert.ok(run.tokensPerSec > 0, `${run.label}: ${run.tokensPerSec} tok/s`);
    assert.ok(Number.isFinite(report.speedup) && report.speedup > 0);
  });
});
