import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { completeBatch, GptModel, loadCheckpointModel, Logger, runJob, Tokenizer } from '../../src';
import { runCli } from '../../src/cli/main';
import { tinyGptRecipe } from '../checkpoint/fixtures/tiny-gpt-run';

describe('floe generate', () => {
  let dir: string;
  let checkpoint: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-gen-'));
    const result = await runJob(
      {
        type: 'sft',
        backend: 'cpu',
        distributed: { backend: 'none' },
        trainIters: 30,
        microBatchSize: 16,
        quiet: true,
        report: false,
        outputDir: path.join(dir, 'run'),
        data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 400, maxDigits: 2 }], maxLength: 32, packing: true, cache: false },
        model: { type: 'gpt', layers: 1, heads: 2, dim: 32, maxLength: 32 },
        optimizer: { type: 'adamw', lr: 1e-2 },
      },
      { logger: new Logger({ sink: () => undefined }) },
    );
    checkpoint = result.lastCheckpointPath as string;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints greedy completions equal to the batched greedy decoder on the same weights', async () => {
    const prompts = ['12+34=', '7+8=', '55+5='];
    const out: string[] = [];
    const code = await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--max-tokens', '6', ...prompts.flatMap((p) => ['--prompt', p])], { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
    assert.equal(code, 0, out.join('\n'));
    const loaded = await loadCheckpointModel(checkpoint);
    try {
      const tok = loaded.tokenizer;
      const produced = await completeBatch(loaded.model as GptModel, prompts.map((p) => tok.encode(p)), { maxNewTokens: 6, stopTokenId: tok.eosId, padId: tok.padId });
      assert.deepEqual(out, prompts.map((p, i) => `${p}${tok.decode(produced[i])}`));
    } finally {
      loaded.dispose();
    }
  });

  /** Runs `floe generate` twice, printing with and without a raw `write`: the writes (with tfjs's tensor count at each) and the lines. */
  async function streamedAndWhole(args: string[]): Promise<{ writes: Array<{ text: string; tensors: number }>; lines: string[] }> {
    const writes: Array<{ text: string; tensors: number }> = [];
    const other: string[] = [];
    const streamed = { out: (l: string) => other.push(`OUT ${l}`), err: (l: string) => other.push(`ERR ${l}`), write: (text: string) => writes.push({ text, tensors: tf.memory().numTensors }) };
    assert.equal(await runCli(['generate', ...args], streamed), 0, other.join('\n'));
    assert.deepEqual(other, [], 'everything goes through write');
    const lines: string[] = [];
    assert.equal(await runCli(['generate', ...args], { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) }), 0, lines.join('\n'));
    return { writes, lines };
  }

  /** Splits writes into each prompt's: those up to and including its '\n'. */
  function perPrompt(writes: Array<{ text: string; tensors: number }>): Array<Array<{ text: string; tensors: number }>> {
    const groups: Array<Array<{ text: string; tensors: number }>> = [[]];
    for (const w of writes) {
      groups[groups.length - 1].push(w);
      if (w.text === '\n') groups.push([]);
    }
    assert.deepEqual(groups.pop(), [], 'the output ends with a newline');
    return groups;
  }

  it('streams an HF tokenizer (words with spaces, the first one losing its space) exactly as the whole lines', async () => {
    const result = await runJob(tinyGptRecipe(path.join(dir, 'hf-run'), { trainIters: 1, model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 16, initStd: 0.5 }, scheduler: { type: 'constant' }, checkpoint: [{ type: 'floe', saveEveryNSteps: 1 }] }), { logger: new Logger({ sink: () => undefined }) });
    const prompts = ['hello', 'world hello', 'he'];
    const { writes, lines } = await streamedAndWhole(['--checkpoint', result.lastCheckpointPath as string, '--backend', 'cpu', '--max-tokens', '10', '--temperature', '1', '--seed', '3', ...prompts.flatMap((p) => ['--prompt', p])]);
    assert.equal(writes.map((w) => w.text).join(''), lines.map((l) => `${l}\n`).join(''));
    assert.ok(lines.some((l, i) => / \S/.test(l.slice(prompts[i].length))), `some completion has several words: ${JSON.stringify(lines)}`);
    assert.ok(perPrompt(writes).some((group) => group.length > 3), 'some completion came in pieces');
  });

  it("refuses a prompt longer than the model's maxLength before generating anything, naming the prompt and the limit", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const long = '1+'.repeat(25);
    const code = await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--prompt', '1+2=', '--prompt', long], { out: (l) => out.push(l), err: (l) => err.push(l) });
    assert.equal(code, 1);
    assert.deepEqual(out, [], 'nothing is generated, not even for the prompt that fits');
    assert.equal(err[0], 'error: --prompt 2 ("1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1...") is 50 tokens: the model reads at most 32 tokens (its maxLength); shorten the prompt to 32 tokens or fewer');
    const fits = await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--max-tokens', '2', '--prompt', '1+'.repeat(16)], { out: () => undefined, err: (l) => err.push(l) });
    assert.equal(fits, 0, 'a prompt of exactly maxLength tokens fits');
  });

  describe('prompts start as the training rows did', () => {
    let bosCheckpoint: string;
    before(async () => {
      // Untrained but with large weights, so the model's answers depend on every prompt id.
      const result = await runJob(
        {
          type: 'sft',
          backend: 'cpu',
          distributed: { backend: 'none' },
          trainIters: 1,
          microBatchSize: 4,
          quiet: true,
          report: false,
          outputDir: path.join(dir, 'bos-run'),
          data: { type: 'sft', sources: [{ type: 'synthetic', task: 'addition', count: 40, maxDigits: 2 }], maxLength: 32, addBos: true, systemPrompt: 'Be exact.', cache: false },
          model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 64, initStd: 0.5 },
          scheduler: { type: 'constant' },
        },
        { logger: new Logger({ sink: () => undefined }) },
      );
      bosCheckpoint = result.lastCheckpointPath as string;
    });

    /** The CLI's lines for `prompts` (plus `flags`), and the greedy completions of `idsOf(prompt)` on the same weights. */
    async function compare(prompts: string[], flags: string[], idsOf: (tok: Tokenizer, prompt: string) => number[]): Promise<{ out: string[]; expected: string[]; plain: string[] }> {
      const out: string[] = [];
      const code = await runCli(['generate', '--checkpoint', bosCheckpoint, '--backend', 'cpu', '--max-tokens', '4', ...flags, ...prompts.flatMap((p) => ['--prompt', p])], { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
      assert.equal(code, 0, out.join('\n'));
      const loaded = await loadCheckpointModel(bosCheckpoint);
      try {
        const before = tf.memory().numTensors;
        const tok = loaded.tokenizer;
        const complete = async (ids: number[][]): Promise<string[]> =>
          (await completeBatch(loaded.model as GptModel, ids, { maxNewTokens: 4, stopTokenId: tok.eosId, padId: tok.padId })).map((p, i) => `${prompts[i]}${tok.decode(p)}`);
        const expected = await complete(prompts.map((p) => idsOf(tok, p)));
        const plain = await complete(prompts.map((p) => tok.encode(p)));
        assert.equal(tf.memory().numTensors, before);
        return { out, expected, plain };
      } finally {
        loaded.dispose();
      }
    }

    it('after bos for a model trained with data.addBos', async () => {
      const { out, expected, plain } = await compare(['12+34=', '7+8=', '55+5='], [], (tok, p) => [tok.bosId, ...tok.encode(p)]);
      assert.notDeepEqual(expected, plain, 'the model answers differently without bos');
      assert.deepEqual(out, expected);
    });

    it("with --chat, as a user turn of Floe's chat format with the data's system prompt and an open assistant header", async () => {
      const chatIds = (tok: Tokenizer, p: string): number[] => [
        tok.bosId,
        ...tok.encode('<|system|>\nBe exact.'),
        tok.eosId,
        ...tok.encode(`<|user|>\n${p}`),
        tok.eosId,
        ...tok.encode('<|assistant|>\n'),
      ];
      const prompts = ['12+34=', '7+8='];
      const { out, expected, plain } = await compare(prompts, ['--chat'], chatIds);
      assert.notDeepEqual(expected, plain);
      // The reply alone: the prompt was the user's turn, not the start of the text.
      assert.deepEqual(out, expected.map((line, i) => line.slice(prompts[i].length)));
    });

    it('writes each completion as it is generated, after its prompt (a chat reply alone), the same bytes as the whole lines', async () => {
      const prompts = ['12+34=', '7+8=', '55+5='];
      for (const chat of [false, true]) {
        const { writes, lines } = await streamedAndWhole(['--checkpoint', bosCheckpoint, '--backend', 'cpu', '--max-tokens', '6', ...(chat ? ['--chat'] : []), ...prompts.flatMap((p) => ['--prompt', p])]);
        assert.equal(writes.map((w) => w.text).join(''), lines.map((l) => `${l}\n`).join(''));
        const groups = perPrompt(writes);
        assert.equal(groups.length, prompts.length);
        for (const [i, group] of groups.entries()) {
          const pieces = group.slice(chat ? 0 : 1, -1);
          if (!chat) assert.equal(group[0].text, prompts[i], 'the prompt goes out before generation starts');
          // While generating, the KV cache holds tensors; it is freed before the last piece (text
          // held back to the end, if any) and the newline.
          const after = group[group.length - 1].tensors;
          const during = pieces.filter((w) => w.tensors > after);
          const shown = JSON.stringify(group.map((w) => [w.text, w.tensors]));
          assert.ok(during.length >= 2, `prompt ${i + 1}: ${shown} is not written while generating (${after} tensors after)`);
          assert.ok(pieces.length - during.length <= 1 && pieces.indexOf(during[during.length - 1]) >= pieces.length - 2, `prompt ${i + 1}: ${shown}`);
        }
      }
    });
  });

  it('refuses --prompt without a value, which printed nothing and exited 0', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    for (const argv of [['--prompt'], ['--prompt', '--max-tokens', '3']]) {
      err.length = 0;
      assert.equal(await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', ...argv], io), 1, argv.join(' '));
      assert.deepEqual(err, ['error: --prompt needs a value: the text to continue (repeat --prompt for more prompts)', 'Run floe generate --help for usage.']);
    }
    assert.deepEqual(out, []);
  });

  it('rejects bad flags and missing checkpoints with exit code 1', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => err.push(l) };
    assert.equal(await runCli(['generate', '--checkpoint', checkpoint, '--prompt', 'x', '--max-tokens', '0'], io), 1);
    assert.match(err.join('\n'), /--max-tokens must be a whole number >= 1, got 0/);
    assert.equal(await runCli(['generate', '--checkpoint', checkpoint, '--prompt', 'x', '--seed', 'abc'], io), 1);
    assert.match(err.join('\n'), /--seed must be a whole number from 0 to 4294967295, got text that is not a number/);
    assert.equal(await runCli(['generate', '--checkpoint', checkpoint, '--prompt', 'x', '--seed', '4294967296'], io), 1);
    assert.match(err.join('\n'), /--seed must be a whole number from 0 to 4294967295, got 4294967296/);
    assert.equal(await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--prompt', 'x', '--prompt', ''], io), 1);
    assert.match(err.join('\n'), /--prompt 2 is empty: a model trained without data.addBos has no start token to begin from/);
    assert.equal(await runCli(['generate', '--checkpoint', checkpoint, '--prompt', 'x', '--top-k', '5'], io), 1);
    assert.match(err.join('\n'), /--top-k 5 has no effect with --temperature 0 \(greedy decoding always takes the most likely token\); add --temperature 1/);
    assert.equal(await runCli(['generate', '--checkpoint', path.join(dir, 'nope'), '--prompt', 'x', '--backend', 'cpu'], io), 1);
    assert.match(err.join('\n'), /No Floe checkpoint at/);
  });
});
