import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpointModel, Logger, runJob } from '../../src';
import { CHATML_TEMPLATE, writeTinyChatmlTokenizer } from '../tokenizer/tiny-chatml-tokenizer';

describe("a checkpoint records its tokenizer's chat template (data.chatTemplate: tokenizer)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-template-identity-'));
    writeTinyChatmlTokenizer(path.join(dir, 'tok'));
    const chat = { messages: [{ role: 'user', content: 'hello?' }, { role: 'assistant', content: 'hello world' }] };
    fs.writeFileSync(path.join(dir, 'chats.jsonl'), `${JSON.stringify(chat)}\n${JSON.stringify(chat)}\n`);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function recipe(chatTemplate: string, steps: number): Record<string, unknown> {
    return {
      type: 'sft',
      backend: 'cpu',
      distributed: { backend: 'none' },
      trainIters: steps,
      epochs: steps,
      microBatchSize: 2,
      quiet: true,
      report: false,
      outputDir: path.join(dir, 'run'),
      tokenizer: { type: 'hf', path: path.join(dir, 'tok') },
      data: { type: 'sft', sources: [{ type: 'jsonl', paths: path.join(dir, 'chats.jsonl'), format: 'chat' }], maxLength: 48, chatTemplate, cache: false, trainEvalSplit: [1, 0] },
      model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 64 },
      optimizer: { type: 'adamw', lr: 1e-2 },
      scheduler: { type: 'constant' },
    };
  }

  function capture(): { logger: Logger; warnings: string[] } {
    const warnings: string[] = [];
    return { warnings, logger: new Logger({ sink: (level, line) => (level === 'warn' ? warnings.push(line) : undefined) }) };
  }

  /** Rewrites the tokenizer's chat_template (one more newline after each turn). */
  function editTemplate(): void {
    const file = path.join(dir, 'tok', 'tokenizer_config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...config, chat_template: CHATML_TEMPLATE.replace(/\\n/g, '\\n\\n') }));
  }

  it('warns on load (floe generate --chat) and on resume once the template changed, not before', async () => {
    const first = await runJob(recipe('tokenizer', 1), { logger: capture().logger });
    const checkpoint = first.lastCheckpointPath as string;
    const identity = JSON.parse(fs.readFileSync(path.join(checkpoint, 'tokenizer-identity.json'), 'utf8')) as { chatTemplateSha256?: string };
    assert.match(identity.chatTemplateSha256 ?? '', /^[0-9a-f]{64}$/);

    const unchanged = capture();
    (await loadCheckpointModel(checkpoint, { logger: unchanged.logger })).dispose();
    assert.deepEqual(unchanged.warnings.filter((w) => w.includes('chat template')), []);

    editTemplate();
    const loaded = capture();
    (await loadCheckpointModel(checkpoint, { logger: loaded.logger })).dispose();
    const said = loaded.warnings.filter((w) => w.includes('chat template'));
    assert.equal(said.length, 1, loaded.warnings.join('\n'));
    assert.match(said[0], /^warn: The tokenizer's chat template has changed since checkpoint .*step-000001 was written: chat_template of .*tokenizer_config\.json.* differs \(sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\)\./);

    const resumed = capture();
    await runJob(recipe('tokenizer', 2), { logger: resumed.logger, resumeFrom: checkpoint });
    assert.equal(resumed.warnings.filter((w) => w.startsWith("warn: The tokenizer's chat template has changed since the checkpoint")).length, 1, resumed.warnings.join('\n'));
  });

  it("says nothing when the recipe renders chats in Floe's own format (the tokenizer's template is unused)", async () => {
    const first = await runJob(recipe('floe', 1), { logger: capture().logger });
    editTemplate();
    const loaded = capture();
    (await loadCheckpointModel(first.lastCheckpointPath as string, { logger: loaded.logger })).dispose();
    assert.deepEqual(loaded.warnings.filter((w) => w.includes('chat template')), []);
  });
});
