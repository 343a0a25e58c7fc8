import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Logger, runJob } from '../../src';
import { CliIo } from '../../src/cli/cli-io';
import { runCli } from '../../src/cli/main';
import { hfFineTuneRecipe } from '../checkpoint/fixtures/hf-fine-tune-recipe';
import { writeTinyGemma3Folder } from '../checkpoint/fixtures/tiny-gemma3-folder';

describe('floe generate with a slidingWindow model (Gemma 3)', () => {
  let dir: string;
  let checkpoint: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-gen-window-'));
    const hf = path.join(dir, 'gemma3');
    writeTinyGemma3Folder(hf); // sliding_window 16
    const recipe = hfFineTuneRecipe(hf, path.join(dir, 'run'), { trainIters: 1, count: 8, lr: 1e-3, checkpoint: [{ type: 'floe', saveEveryNSteps: 1 }] });
    checkpoint = (await runJob(recipe, { logger: new Logger({ sink: () => undefined }) })).lastCheckpointPath as string;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function generate(maxTokens: number): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line) };
    const before = tf.memory().numTensors;
    const code = await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--prompt', 'hello', '--prompt', 'hello world', '--max-tokens', String(maxTokens)], io);
    assert.equal(tf.memory().numTensors, before, 'generate left tensors behind');
    return { code, out, err };
  }

  it('refuses --max-tokens past the window before any prompt runs, naming the flag and the count that fits', async () => {
    // 'hello' is bos + ▁hello (2 tokens), 'hello world' bos + ▁hello + ▁world (3): 3 + 14 − 1 = 16 fits.
    const refused = await generate(15);
    assert.notEqual(refused.code, 0);
    assert.deepEqual(refused.out, []);
    assert.equal(refused.err.length, 1, refused.err.join('\n'));
    assert.match(refused.err[0], /^error: --prompt 2 \("hello world"\) is 3 tokens: with --max-tokens 15 the model would run over more than its slidingWindow of 16 tokens \(the checkpoint's model\.slidingWindow; HF's sliding_window\), .*: pass --max-tokens 14 or fewer, or shorten the prompt$/);
    const fits = await generate(14);
    assert.equal(fits.code, 0, fits.err.join('\n'));
    assert.equal(fits.out.length, 2);
  });
});
