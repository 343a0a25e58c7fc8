import { strict as assert } from 'assert';
import * as fs from 'fs';
import { Logger, ProgressCallback, ProgressStream, runJob, Trainer } from '../../src';
import { captureLogger, tempDir, tinyRecipe } from './fixtures/tiny-run';

/** A stream that records what is written; a terminal when `isTTY`. */
function fakeStream(isTTY: boolean): ProgressStream & { text: string } {
  return {
    text: '',
    isTTY,
    columns: 160,
    write(chunk: string): boolean {
      this.text += chunk;
      return true;
    },
  };
}

describe('ProgressCallback', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('progress');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = async (fields: Record<string, unknown>, stream: ProgressStream, logIsTerminal = true): Promise<string[]> => {
    const lines: string[] = [];
    // One folder for the test's runs: each starts over in it.
    await runJob(tinyRecipe(dir, { epochs: 2, logInterval: 4, evalInterval: 8, overwriteOutputDir: true, ...fields }), {
      logger: captureLogger(lines),
      onTrainerReady: (trainer: Trainer) => {
        const progress = trainer.callbackList.find(ProgressCallback);
        if (progress !== undefined) {
          progress.stream = stream;
          progress.logIsTerminal = logIsTerminal;
        }
      },
    });
    return lines;
  };

  it('off a terminal (auto), prints one plain line per log interval with ETA, and eval lines', async () => {
    const stream = fakeStream(false);
    const lines = (await run({ progress: 'auto' }, stream)).filter((l) => /^(step|eval) /.test(l));
    assert.equal(lines.length, 4 + 2);
    assert.match(lines[0], /^step 4\/16 \| epoch 0 \| loss \d+\.\d{4} \| lr 5\.00e-2 \| grad \d+\.\d{3} \| [\d,]+ samples\/s \| ETA \d+s$/);
    assert.match(lines[2], /^eval step 8 \| eval\/loss \d+\.\d{4}$/);
    assert.match(lines[5], /^eval step 16 \| eval\/loss/);
    assert.equal(stream.text, '', 'nothing drawn on the stream');
  });

  it('on a terminal (auto), draws a bar with step/total, loss, lr, throughput and ETA, eval lines above it', async () => {
    const stream = fakeStream(true);
    // `auto` prints plain lines under CI even on a terminal; CI runners set CI, so clear it here.
    const ci = process.env.CI;
    delete process.env.CI;
    let lines: string[];
    try {
      lines = await run({ progress: 'auto' }, stream);
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
    assert.deepEqual(lines.filter((l) => /^(step|eval) /.test(l)), [], 'no log lines under a bar');
    const plain = stream.text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
    assert.match(plain, /train \|[█░]+\| 16\/16 \| loss \d+\.\d{4} \| lr 5\.00e-2 \| \d{1,3}(,\d{3})* samples\/s \| ETA \d+s/);
    assert.match(plain, /eval step 8 \| eval\/loss \d+\.\d{4}\n/);
    assert.match(plain, /eval step 16 \| eval\/loss/);
  });

  it('on a terminal whose stdout goes to a file (floe train r.yaml > train.log), draws the bar and logs the step and eval lines too', async () => {
    const stream = fakeStream(true);
    const ci = process.env.CI;
    delete process.env.CI;
    let lines: string[];
    try {
      lines = (await run({ progress: 'auto' }, stream, false)).filter((l) => /^(step|eval) /.test(l));
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
    assert.equal(lines.length, 4 + 2, lines.join('\n'));
    assert.match(lines[0], /^step 4\/16 \| epoch 0 \| loss /);
    assert.match(lines[2], /^eval step 8 \| eval\/loss /);
    assert.match(stream.text, /train \|[█░]+\| 16\/16/);
  });

  it('on a terminal, prints a warning on a line of its own above the bar, never glued to the bar', async () => {
    const stream = fakeStream(true);
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      // The warnings go to the terminal the bar draws on, as the CLI's stderr does.
      const logger = new Logger({ sink: (_level, line) => stream.write(`${line}\n`) });
      await runJob(tinyRecipe(dir, { epochs: 2, logInterval: 4, evalInterval: 8, progress: 'auto', callbacks: [{ type: 'early-stopping', metric: 'eval/nope' }] }), {
        logger,
        onTrainerReady: (trainer: Trainer) => {
          const progress = trainer.callbackList.find(ProgressCallback);
          if (progress !== undefined) {
            progress.stream = stream;
            // The log lines go to that same terminal.
            progress.logIsTerminal = true;
          }
        },
      });
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
    const warning = "warn: early-stopping: evaluation has no metric 'eval/nope' (it has: eval/loss)\n";
    const at = stream.text.indexOf(warning);
    assert.ok(at > 0, stream.text);
    // The bar's line is cleared first (so the warning starts the line), and the bar comes back below it.
    assert.equal(stream.text.slice(at - 5, at), '\r\x1b[2K');
    assert.match(stream.text.slice(at + warning.length), /^(\x1b\[[0-9;?]*[A-Za-z])*train \|/);
  });

  it('prints plain lines, not a bar, on a terminal when CI is set', async () => {
    const stream = fakeStream(true);
    const ci = process.env.CI;
    process.env.CI = 'true';
    try {
      const lines = (await run({ progress: 'auto' }, stream)).filter((l) => /^(step|eval) /.test(l));
      assert.equal(lines.length, 4 + 2);
      assert.equal(stream.text, '', 'nothing drawn on the stream');
    } finally {
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
    }
  });

  it('prints plain lines for progress: bar off a terminal, where no bar can be drawn', async () => {
    const stream = fakeStream(false);
    const lines = (await run({ progress: 'bar' }, stream)).filter((l) => /^(step|eval) /.test(l));
    assert.equal(lines.length, 4 + 2);
    assert.match(lines[4], /^step 16\/16 \| epoch 1 \| loss/);
    assert.equal(stream.text, '', 'no bar fragment (such as a final 16/100) on the stream');
  });

  it('prints nothing in quiet mode (whatever the progress mode) or with progress: none', async () => {
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      for (const fields of [{ quiet: true, progress: 'auto' }, { quiet: true, progress: 'bar' }, { quiet: true, progress: 'lines' }, { progress: 'none' }]) {
        const stream = fakeStream(true);
        const lines = await run(fields, stream);
        assert.deepEqual(lines.filter((l) => /^(step|eval) /.test(l)), [], JSON.stringify(fields));
        assert.equal(stream.text, '', JSON.stringify(fields));
      }
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
  });
});
