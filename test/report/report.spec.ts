import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { FloeError, register, runJob } from '../../src';
import { TinyBatch, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { readRunMetrics, renderReportHtml, writeReport } from '../../src/report';
import { runCli } from '../../src/cli/main';
import { captureLogger, tempDir, tinyRecipe } from '../callbacks/fixtures/tiny-run';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], PNG_SIGNATURE, `${file} is not a PNG`);
  assert.equal(bytes.subarray(12, 16).toString('ascii'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('Run report', () => {
  let dir: string;
  before(async () => {
    // One real run shared by the tests below; the report is written by the run itself (report: true).
    dir = tempDir('report');
    await runJob(tinyRecipe(path.join(dir, 'run'), { epochs: 4, logInterval: 2, evalInterval: 8, report: true, tensorboard: true }), { logger: captureLogger() });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is written at the end of training: loss, lr and grad-norm curves as SVG and PNG, and report.html', () => {
    const run = path.join(dir, 'run');
    for (const name of ['loss', 'lr', 'grad-norm']) {
      const svg = fs.readFileSync(path.join(run, `${name}.svg`), 'utf8');
      assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
      const { width, height } = pngSize(path.join(run, `${name}.png`));
      assert.ok(width > 600 && height > 300, `${name}.png is ${width}×${height}`);
    }
    const lossSvg = fs.readFileSync(path.join(run, 'loss.svg'), 'utf8');
    assert.ok(lossSvg.includes('train loss') && lossSvg.includes('eval loss'), 'legend names both series');
    const html = fs.readFileSync(path.join(run, 'report.html'), 'utf8');
    assert.match(html, /<th>state<\/th><td>finished<\/td>/);
    assert.match(html, /<th>step<\/th><td>32 \/ 32<\/td>/);
    assert.equal((html.match(/<svg/g) ?? []).length, 3);
    assert.ok(html.includes('href="loss.png"') && html.includes('type: tiny'));
    assert.equal(fs.existsSync(path.join(run, 'eval.png')), false, 'no extra eval metrics, no eval chart');
  });

  it('`floe report <runDir> --out` writes the report elsewhere', async () => {
    const out = path.join(dir, 'elsewhere');
    const lines: string[] = [];
    const code = await runCli(['report', path.join(dir, 'run'), '--out', out], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.equal(code, 0, lines.join('\n'));
    assert.deepEqual(fs.readdirSync(out).sort(), ['grad-norm.png', 'grad-norm.svg', 'loss.png', 'loss.svg', 'lr.png', 'lr.svg', 'report.html']);
    assert.equal(lines[lines.length - 1], `report: ${path.join(out, 'report.html')}`);
    pngSize(path.join(out, 'loss.png'));
  });

  it('reads the TensorBoard events when there is no metrics.jsonl, with the same curves', async () => {
    const run = path.join(dir, 'run');
    const fromJsonl = await readRunMetrics(run);
    const copy = path.join(dir, 'events-only');
    fs.mkdirSync(copy);
    for (const f of fs.readdirSync(run).filter((f) => f.startsWith('events.out.'))) fs.copyFileSync(path.join(run, f), path.join(copy, f));
    const fromEvents = await readRunMetrics(copy);
    assert.equal(fromEvents.train.length, 16);
    assert.deepEqual(fromEvents.train.map((p) => p.step), fromJsonl.train.map((p) => p.step));
    assert.deepEqual(fromEvents.train.map((p) => p.loss), fromJsonl.train.map((p) => Math.fround(p.loss as number)));
    assert.deepEqual(fromEvents.eval.map((p) => p.step), [8, 16, 24, 32]);
    const { files } = await writeReport(copy);
    assert.ok(files.some((f) => f.endsWith('loss.png')));
  });

  it('keeps the later records of a resumed run, charts extra eval metrics, and drops NaN points', async () => {
    const run = path.join(dir, 'resumed');
    fs.mkdirSync(run);
    const line = (r: object): string => `${JSON.stringify(r)}\n`;
    const first = [1, 2, 3, 4, 5, 6].map((step) => line({ event: 'train', step, loss: 10 - step, lr: 0.1 }));
    const evalA = line({ event: 'eval', step: 4, 'eval/loss': 7, 'eval/accuracy': 0.5 });
    // Resumed from the step-4 checkpoint: steps 5 and 6 run again, then 7 and 8 (one NaN).
    const second = [5, 6, 7, 8].map((step) => line({ event: 'train', step, loss: step === 7 ? 'NaN' : 100 + step, lr: 0.1 }));
    const evalB = line({ event: 'eval', step: 8, 'eval/loss': 6, 'eval/accuracy': 0.7 });
    fs.writeFileSync(path.join(run, 'metrics.jsonl'), [...first.slice(0, 4), evalA, ...first.slice(4), ...second, evalB].join(''));
    const metrics = await readRunMetrics(run);
    assert.deepEqual(metrics.train.map((p) => [p.step, p.loss]), [[1, 9], [2, 8], [3, 7], [4, 6], [5, 105], [6, 106], [7, NaN], [8, 108]]);
    assert.deepEqual(metrics.eval, [
      { step: 4, metrics: { 'eval/loss': 7, 'eval/accuracy': 0.5 } },
      { step: 8, metrics: { 'eval/loss': 6, 'eval/accuracy': 0.7 } },
    ]);
    const { files } = await writeReport(run);
    assert.ok(files.some((f) => f.endsWith('eval.png')), 'eval/accuracy gets its own chart');
    pngSize(path.join(run, 'eval.png'));
    assert.ok(!fs.readFileSync(path.join(run, 'loss.svg'), 'utf8').includes('NaN'));
  });

  it('finds metrics and status a recipe moved (metrics-jsonl file, tensorboard logDir, status file), at the end of the run and in `floe report`', async () => {
    const logger = captureLogger();
    const moved = path.join(dir, 'moved');
    // metrics.jsonl moved: the run's own report and `floe report` read it there.
    const callbacks = [
      { type: 'metrics-jsonl', file: 'logs/m.jsonl' },
      { type: 'status', file: 'state/status.json' },
    ];
    await runJob(tinyRecipe(moved, { epochs: 2, logInterval: 2, report: true, callbacks }), { logger });
    assert.ok(fs.existsSync(path.join(moved, 'logs', 'm.jsonl')) && !fs.existsSync(path.join(moved, 'metrics.jsonl')));
    // The status file's folder is made as the metrics file's is (it was never written: only a warning).
    assert.equal(JSON.parse(fs.readFileSync(path.join(moved, 'state', 'status.json'), 'utf8')).state, 'finished');
    assert.match(fs.readFileSync(path.join(moved, 'report.html'), 'utf8'), /<th>last logged step<\/th><td>16<\/td>/);
    assert.match(fs.readFileSync(path.join(moved, 'report.html'), 'utf8'), /<th>state<\/th><td>finished<\/td>/);
    assert.ok(fs.existsSync(path.join(moved, 'loss.png')));
    fs.rmSync(path.join(moved, 'report.html'));
    const lines: string[] = [];
    assert.equal(await runCli(['report', moved], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0, lines.join('\n'));
    assert.match(fs.readFileSync(path.join(moved, 'report.html'), 'utf8'), /<th>last logged step<\/th><td>16<\/td>/);
    assert.match(fs.readFileSync(path.join(moved, 'report.html'), 'utf8'), /<th>state<\/th><td>finished<\/td>/);
    // Only TensorBoard events, in their own folder.
    const tb = path.join(dir, 'moved-tb');
    await runJob(tinyRecipe(tb, { epochs: 2, logInterval: 2, report: true, metricsLog: false, callbacks: [{ type: 'tensorboard', logDir: 'tb' }] }), { logger });
    assert.ok(fs.readdirSync(path.join(tb, 'tb')).some((f) => f.startsWith('events.out.tfevents.')));
    assert.match(fs.readFileSync(path.join(tb, 'report.html'), 'utf8'), /<th>last logged step<\/th><td>16<\/td>/);
    assert.equal((await readRunMetrics(tb)).train.length, 8);
  });

  it("says a run whose status.json claims running is not, when its process on this host is gone", async () => {
    const crashed = path.join(dir, 'crashed');
    fs.mkdirSync(crashed);
    fs.copyFileSync(path.join(dir, 'run', 'metrics.jsonl'), path.join(crashed, 'metrics.jsonl'));
    // A child that has exited: its pid is free (a crashed or killed run looks like this).
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const status = (fields: Record<string, unknown>): void =>
      fs.writeFileSync(path.join(crashed, 'status.json'), JSON.stringify({ state: 'running', step: 5, totalSteps: 32, pid: gone, host: os.hostname(), ...fields }));
    const stateCell = async (): Promise<string> => {
      await writeReport(crashed);
      return /<th>state<\/th><td>([^<]*)<\/td>/.exec(fs.readFileSync(path.join(crashed, 'report.html'), 'utf8'))?.[1] ?? '';
    };
    status({});
    assert.equal(await stateCell(), `not running: status.json says running, but its process ${gone} is gone (killed or crashed); resume from its last checkpoint`);
    // Alive (this process), or on another machine (cannot be checked): as the file says.
    status({ pid: process.pid });
    assert.equal(await stateCell(), 'running');
    status({ host: `${os.hostname()}-elsewhere` });
    assert.equal(await stateCell(), 'running');
  });

  it('`floe report --out` somewhere it cannot write is a clear error (exit 1), not an internal error or a hang', async () => {
    const file = path.join(dir, 'a-file.txt');
    fs.writeFileSync(file, 'mine');
    const cases: [string, RegExp][] = [
      [file, /^error: Cannot write the report to .*a-file\.txt: a file of that name is in the way \(EEXIST\)$/],
      [path.join(file, 'sub'), /^error: Cannot write the report to .*a-file\.txt[/\\]sub: a part of the path is a file, not a folder \(ENOTDIR\)$/],
    ];
    // Node's recursive mkdir never returns below /proc.
    if (fs.existsSync('/proc/self')) cases.push(['/proc/floe-report', /^error: Cannot write the report to \/proc\/floe-report: /]);
    for (const [out, message] of cases) {
      const err: string[] = [];
      assert.equal(await runCli(['report', path.join(dir, 'run'), '--out', out], { out: () => undefined, err: (l) => err.push(l) }), 1, err.join('\n'));
      assert.match(err[0], message);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'mine');
  });

  it('given a checkpoint folder (what --checkpoint takes elsewhere), names the run folder to give instead', async () => {
    const run = path.join(dir, 'with-checkpoints');
    const step = path.join(run, 'checkpoints', 'step-000004');
    fs.mkdirSync(step, { recursive: true });
    fs.writeFileSync(path.join(step, 'manifest.json'), '{}');
    fs.writeFileSync(path.join(run, 'status.json'), '{"state": "finished"}');
    const shown = path.relative(process.cwd(), run);
    await assert.rejects(writeReport(step), (e: unknown) => e instanceof FloeError && e.message === `${step} is a checkpoint folder, not a run folder: give the run folder, ${shown}`);
    const folder = path.join(run, 'checkpoints');
    await assert.rejects(writeReport(folder), (e: unknown) => e instanceof FloeError && e.message === `${folder} is a folder of checkpoints, not a run folder: give the run folder, ${shown}`);
  });

  it('says what is missing when a folder has no metrics', async () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    await assert.rejects(writeReport(empty), (e: unknown) => e instanceof FloeError && /No metrics in .*empty: expected metrics\.jsonl or events\.out\.tfevents\.\* \(the recipe may have turned off metricsLog and tensorboard\)$/.test(e.message));
    const missing = path.join(dir, 'typo');
    await assert.rejects(writeReport(missing), (e: unknown) => e instanceof FloeError && e.message === `${missing} is not there: give a run folder (the outputDir of a run, e.g. runs/quickstart)`);
    fs.writeFileSync(path.join(dir, 'metrics.txt'), '');
    await assert.rejects(writeReport(path.join(dir, 'metrics.txt')), /metrics\.txt is a file: give a run folder/);
  });

  it('shows summary numbers with five significant digits and no padding zeros', () => {
    const html = renderReportHtml({
      title: 'r',
      status: { state: 'failed', step: 2, totalSteps: 30, elapsedSec: 0.021, error: 'Non-finite loss (NaN) at step 2' },
      metrics: { train: [{ step: 2, loss: 1.2587146759 }], eval: [{ step: 2, metrics: { 'eval/loss': NaN, 'eval/acc': 0.5 } }], sources: [] },
      charts: [],
    });
    for (const cell of ['<th>elapsedSec</th><td>0.021</td>', '<th>train loss</th><td>1.2587</td>', '<th>eval/loss (step 2)</th><td>NaN</td>', '<th>eval/acc (step 2)</th><td>0.5</td>', '<th>step</th><td>2 / 30</td>']) {
      assert.ok(html.includes(cell), cell);
    }
  });

  it('`floe report` on a run with no records yet writes an empty report and says why', async () => {
    const early = path.join(dir, 'early');
    fs.mkdirSync(early);
    fs.writeFileSync(path.join(early, 'metrics.jsonl'), 'not json\n{"event": "start"}\n');
    const out: string[] = [];
    const err: string[] = [];
    assert.equal(await runCli(['report', early], { out: (l) => out.push(l), err: (l) => err.push(l) }), 0);
    assert.deepEqual(err, [
      `warn: left out 1 line of metrics that is not JSON: ${path.join(early, 'metrics.jsonl')}:1`,
      `warn: ${early} has no training or evaluation records yet, so the report has no charts`,
    ]);
    assert.ok(fs.existsSync(path.join(early, 'report.html')));
    // A run with records gets no warning.
    const full: string[] = [];
    assert.equal(await runCli(['report', path.join(dir, 'run')], { out: (l) => full.push(l), err: (l) => full.push(l) }), 0);
    assert.ok(!full.some((l) => l.startsWith('warn:')), full.join('\n'));
  });
});

describe('Run report of a failed run', () => {
  isolateRegistries();
  let dir: string;
  beforeEach(() => {
    dir = tempDir('report-failed');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is written once training began: state failed, the error, the curves up to the failure', async () => {
    class FailingTrainer extends TinyTrainer {
      static override readonly type: string = 'tiny-failing-report';
      override loss(batch: TinyBatch): tf.Scalar {
        if (this.globalStep === 5) throw new Error('boom at step 5');
        return super.loss(batch);
      }
    }
    register(FailingTrainer);
    await assert.rejects(runJob(tinyRecipe(dir, { type: 'tiny-failing-report', report: true }), { logger: captureLogger() }), /boom at step 5/);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes('<th>state</th><td>failed</td>'), html);
    assert.match(html, /<th>error<\/th><td>[^<]*boom at step 5<\/td>/);
    assert.ok(html.includes('<th>last logged step</th><td>5</td>'), html);
    assert.ok(fs.existsSync(path.join(dir, 'loss.svg')));
  });
});
