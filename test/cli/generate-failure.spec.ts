import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GptModel, HfTokenizer, Logger, runJob } from '../../src';
import { CliIo } from '../../src/cli/cli-io';
import { runCli } from '../../src/cli/main';
import { tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';

/** What one in-process `floe generate` run wrote: stdout as one string (raw writes and lines), stderr lines, exit code. */
interface GenerateRun {
  code: number;
  stdout: string;
  err: string[];
  /** tfjs's tensor count before and after the run. */
  tensors: { before: number; after: number };
}

async function generateRun(argv: string[], options: { streamed: boolean }): Promise<GenerateRun> {
  let stdout = '';
  const err: string[] = [];
  const io: CliIo = { out: (line) => (stdout += `${line}\n`), err: (line) => err.push(line) };
  if (options.streamed) io.write = (text) => (stdout += text);
  const before = tf.memory().numTensors;
  const code = await runCli(['generate', ...argv], io);
  return { code, stdout, err, tensors: { before, after: tf.memory().numTensors } };
}

/**
 * Replaces `owner[name]` with `make(original)` for the length of `body`: a test double injected
 * around a library method, the library's code untouched.
 */
async function patched<T extends object, K extends keyof T>(owner: T, name: K, make: (original: T[K]) => T[K], body: () => Promise<void>): Promise<void> {
  const original = owner[name];
  owner[name] = make(original);
  try {
    await body();
  } finally {
    owner[name] = original;
  }
}

describe('floe generate when generation fails part way', () => {
  let dir: string;
  let args: string[];
  let whole: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-gen-fail-'));
    // Untrained, large weights: sampling gives many words and rarely the stop token.
    const recipe = tinyGptRecipe(path.join(dir, 'run'), { trainIters: 1, model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, initStd: 0.5 }, scheduler: { type: 'constant' }, checkpoint: [{ type: 'floe', saveEveryNSteps: 1 }] });
    const result = await runJob(recipe, { logger: new Logger({ sink: () => undefined }) });
    args = ['--checkpoint', result.lastCheckpointPath as string, '--backend', 'cpu', '--max-tokens', '10', '--temperature', '1', '--seed', '3', '--prompt', 'hello'];
    // The run without a failure, counting forward passes (one per generated token with the KV cache).
    let passes = 0;
    await patched(GptModel.prototype, 'forward', (forward) => function (this: GptModel, ...a: Parameters<GptModel['forward']>) {
      passes += 1;
      return forward.apply(this, a);
    }, async () => {
      const run = await generateRun(args, { streamed: true });
      assert.equal(run.code, 0, run.err.join('\n'));
      whole = run.stdout;
    });
    assert.ok(passes >= 8, `the seed generates at least 8 tokens (${passes}), so a failure at the 6th comes after 5`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Checks a failed run: stdout is a begun prefix of the whole output ending in a newline, the error is on stderr, nothing leaked. */
  function assertFailedCleanly(run: GenerateRun, message: RegExp, code: number): void {
    assert.equal(run.code, code, run.err.join('\n'));
    assert.ok(run.stdout.endsWith('\n'), `stdout ends its begun line: ${JSON.stringify(run.stdout)}`);
    const text = run.stdout.slice(0, -1);
    assert.ok(text.length > 'hello'.length, `text generated before the failure stays on stdout: ${JSON.stringify(run.stdout)}`);
    assert.ok(whole.startsWith(text) && text.length < whole.length - 1, `${JSON.stringify(run.stdout)} is a part of ${JSON.stringify(whole)}`);
    assert.equal(run.err[0], 'error: --prompt 1 ("hello") stopped after 5 generated tokens: the line above is incomplete', run.err.join('\n'));
    assert.match(run.err.slice(1).join('\n'), message);
    assert.equal(run.tensors.after, run.tensors.before, 'no tensors leak');
  }

  for (const streamed of [true, false]) {
    const how = streamed ? 'streamed' : 'printed as whole lines';
    it(`keeps the text of a model that throws at its 6th token on stdout, ${how}, with the error on stderr and a non-zero exit`, async () => {
      let passes = 0;
      await patched(GptModel.prototype, 'forward', (forward) => function (this: GptModel, ...a: Parameters<GptModel['forward']>) {
        passes += 1;
        if (passes === 6) throw new Error('injected forward failure');
        return forward.apply(this, a);
      }, async () => {
        assertFailedCleanly(await generateRun(args, { streamed }), /^internal error: Error: injected forward failure/, 2);
      });
    });

    it(`keeps the text of a tokenizer that throws decoding the 6th token on stdout, ${how}, with the error on stderr and a non-zero exit`, async () => {
      await patched(HfTokenizer.prototype, 'decode', (decode) => function (this: HfTokenizer, ids: readonly number[]) {
        // The prompt is one token ('▁hello'); the stream decodes it with the tokens after it.
        if (ids.length >= 7) throw new Error('injected decode failure');
        return decode.call(this, ids);
      }, async () => {
        assertFailedCleanly(await generateRun(args, { streamed }), /^internal error: Error: injected decode failure/, 2);
      });
    });
  }
});
