import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { completeBatch, GptModel, loadCheckpointModel, Logger, runJob, Tokenizer } from '../../src';
import { runCli } from '../../src/cli/main';
import { writeTinyChatmlTokenizer } from '../tokenizer/tiny-chatml-tokenizer';

describe('floe generate --chat with a Jinja chat template', () => {
  let dir: string;
  const chats = [
    { messages: [{ role: 'user', content: 'hello?' }, { role: 'assistant', content: 'hello world' }] },
    { messages: [{ role: 'user', content: 'world?' }, { role: 'assistant', content: 'world hello' }] },
  ];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-gen-template-'));
    writeTinyChatmlTokenizer(path.join(dir, 'tok'));
    fs.writeFileSync(path.join(dir, 'chats.jsonl'), `${chats.map((c) => JSON.stringify(c)).join('\n')}\n`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Trains `steps` steps (default 1) with `chatTemplate` and returns the checkpoint. */
  async function train(name: string, chatTemplate: string, options: { steps?: number; tokenizer?: Record<string, unknown>; initStd?: number } = {}): Promise<string> {
    const result = await runJob(
      {
        type: 'sft',
        backend: 'cpu',
        distributed: { backend: 'none' },
        trainIters: options.steps ?? 1,
        epochs: options.steps ?? 1,
        microBatchSize: 2,
        quiet: true,
        report: false,
        outputDir: path.join(dir, name),
        tokenizer: { type: 'hf', path: path.join(dir, 'tok'), ...options.tokenizer },
        data: { type: 'sft', sources: [{ type: 'jsonl', paths: path.join(dir, 'chats.jsonl'), format: 'chat' }], maxLength: 48, chatTemplate, cache: false, trainEvalSplit: [1, 0] },
        model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 64, initStd: options.initStd ?? 0.5 },
        optimizer: { type: 'adamw', lr: 1e-2 },
        scheduler: { type: 'constant' },
      },
      { logger: new Logger({ sink: () => undefined }) },
    );
    return result.lastCheckpointPath as string;
  }

  /** The CLI's --chat lines for `prompts`, and the greedy replies to `idsOf(prompt)` on the same weights. */
  async function compare(checkpoint: string, prompts: string[], idsOf: Array<(tok: Tokenizer, prompt: string) => number[]>): Promise<{ out: string[]; replies: string[][] }> {
    const out: string[] = [];
    const code = await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--max-tokens', '4', '--chat', ...prompts.flatMap((p) => ['--prompt', p])], { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
    assert.equal(code, 0, out.join('\n'));
    const loaded = await loadCheckpointModel(checkpoint);
    try {
      const before = tf.memory().numTensors;
      const tok = loaded.tokenizer;
      const replies: string[][] = [];
      for (const of of idsOf) {
        const produced = await completeBatch(loaded.model as GptModel, prompts.map((p) => of(tok, p)), { maxNewTokens: 4, stopTokenId: tok.eosId, padId: tok.padId });
        replies.push(produced.map((ids) => tok.decode(ids)));
      }
      assert.equal(tf.memory().numTensors, before);
      return { out, replies };
    } finally {
      loaded.dispose();
    }
  }

  it("prompts a model trained with chatTemplate: tokenizer as the tokenizer's template writes a user turn, ending in the generation prompt", async () => {
    const checkpoint = await train('tokenizer-run', 'tokenizer');
    const chatml = (tok: Tokenizer, p: string) => tok.encode(`<|im_start|>user\n${p}<|im_end|>\n<|im_start|>assistant\n`);
    const floe = (tok: Tokenizer, p: string) => [tok.bosId, ...tok.encode(`<|user|>\n${p}`), tok.eosId, ...tok.encode('<|assistant|>\n')];
    const prompts = ['hello?', 'world', 'hello hello world?'];
    const { out, replies } = await compare(checkpoint, prompts, [chatml, floe]);
    assert.notDeepEqual(replies[0], replies[1], "the model answers differently in Floe's format");
    assert.deepEqual(out, replies[0]);
  });

  it("refuses --chat when the tokenizer files lost the template, naming the checkpoint's recipe it comes from", async () => {
    const tok = path.join(dir, 'tok-lost');
    writeTinyChatmlTokenizer(tok);
    const checkpoint = await train('lost', 'tokenizer', { tokenizer: { path: tok } });
    writeTinyChatmlTokenizer(tok, null);
    const err: string[] = [];
    const code = await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--chat', '--prompt', 'hello?'], { out: () => undefined, err: (l) => err.push(l) });
    assert.equal(code, 1, err.join('\n'));
    const error = err.find((l) => l.startsWith('error: ')) ?? '';
    assert.ok(
      error.startsWith(`error: --chat: the chat format comes from the checkpoint's recipe (${path.join(checkpoint, 'recipe.yaml')}), which no longer works: data.chatTemplate: 'tokenizer' takes the tokenizer's own chat template, and it has none: `),
      error,
    );
    assert.match(error, /Restore the tokenizer files the model was trained with, or generate without --chat\.$/);
  });

  it('prompts a model trained with an inline template with that template', async () => {
    const inline = "{% for m in messages %}{{ m.role + ': ' + m.content + eos_token }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";
    const checkpoint = await train('inline-run', inline);
    const own = (tok: Tokenizer, p: string) => tok.encode(`user: ${p}<|im_end|>assistant: `);
    const chatml = (tok: Tokenizer, p: string) => tok.encode(`<|im_start|>user\n${p}<|im_end|>\n<|im_start|>assistant\n`);
    const prompts = ['hello?', 'world', 'hello hello world?'];
    const { out, replies } = await compare(checkpoint, prompts, [own, chatml]);
    assert.notDeepEqual(replies[0], replies[1]);
    assert.deepEqual(out, replies[0]);
  });

  it("stops a reply at the end-of-turn token the template writes after replies, not only at eos", async () => {
    // Turns end with a plain '!' token; trained until it writes one (what follows it was never trained).
    const bang = "{% for m in messages %}{{ m.role + ': ' + m.content + '!' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";
    const checkpoint = await train('eot-run', bang, { steps: 60, initStd: 0.02 });
    const out: string[] = [];
    const code = await runCli(['generate', '--checkpoint', checkpoint, '--backend', 'cpu', '--max-tokens', '8', '--chat', '--prompt', 'hello?'], { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
    assert.equal(code, 0, out.join('\n'));
    const loaded = await loadCheckpointModel(checkpoint);
    try {
      const tok = loaded.tokenizer;
      const [mark] = tok.encode('!');
      const [greedy] = await completeBatch(loaded.model as GptModel, [tok.encode('user: hello?!assistant: ')], { maxNewTokens: 8, stopTokenId: tok.eosId, padId: tok.padId });
      const end = greedy.indexOf(mark);
      assert.ok(end >= 0 && end < greedy.length - 1, `the model writes '!' and goes on past it when only eos stops it: ${JSON.stringify(greedy)}`);
      assert.deepEqual(out, [tok.decode(greedy.slice(0, end))]);
      assert.notDeepEqual(out, [tok.decode(greedy)]);
    } finally {
      loaded.dispose();
    }
  });
});
