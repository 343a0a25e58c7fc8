import * as path from 'path';
import type { Argv } from 'yargs';
import { initBackend } from '../../backend/init-backend';
import { BACKEND_NAMES, BackendName } from '../../backend/backend-names';
import { loadCheckpointModel } from '../../checkpoint/load-checkpoint-model';
import { ConfigError, FloeError } from '../../errors';
import { generate } from '../../model/generate';
import { GptModel } from '../../model/gpt-model';
import { MAX_SEED, Rng } from '../../random';
import { encodePrompt, PromptFormat } from '../../tokenizer/encode-prompt';
import { resolveAddBos } from '../../tokenizer/add-bos-setting';
import { TextStream } from '../../tokenizer/text-stream';
import { templateEndOfTurnId } from '../../tokenizer/templated-chat';
import type { Tokenizer } from '../../tokenizer/tokenizer';
import { resolveChatTemplate } from '../../data/chat-template-setting';
import type { TrainerConfig } from '../../trainer/trainer-config';
import { SupervisedTrainer } from '../../trainer/supervised-trainer';
import { CliIo, EXIT } from '../cli-io';
import { UsageError } from '../usage-error';

/** `floe generate --checkpoint <dir> --prompt "12+34="`: text from a trained language model. */
export function generateCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'generate',
    'Generate text from a checkpoint of a language model (greedy by default; --temperature > 0 samples, --top-k limits sampling to the k most likely tokens).',
    (y) =>
      y
        .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint folder, folder of step-N checkpoints, or run folder (newest); it may also come first: floe generate <checkpoint> ...' })
        // nargs 1: each --prompt takes one value, so a stray word is refused, not run as a second prompt.
        .option('prompt', { type: 'string', array: true, nargs: 1, demandOption: true, describe: "Prompt text (repeatable); at most the model's maxLength tokens" })
        .option('max-tokens', { type: 'number', default: 64, describe: 'Most tokens to generate per prompt' })
        .option('temperature', { type: 'number', default: 0, describe: 'Sampling temperature; 0 is greedy' })
        .option('top-k', { type: 'number', describe: 'Sample only among the k most likely tokens (needs --temperature > 0)' })
        .option('seed', { type: 'number', default: 0, describe: 'Seed for sampling' })
        .option('chat', { type: 'boolean', default: false, describe: 'Send each prompt as a user turn in the chat format the model was fine-tuned with (data.chatTemplate: Floe\'s, or a Jinja template)' })
        .option('backend', { choices: BACKEND_NAMES as unknown as string[], default: 'auto', describe: 'tfjs backend' }),
    async (args) => {
      if (args.checkpoint === '') throw new UsageError('--checkpoint needs a value: a checkpoint folder, a folder of step-N checkpoints, or a run folder (its newest)');
      const maxTokens = args['max-tokens'] as number;
      const temperature = args.temperature as number;
      const topK = args['top-k'] as number | undefined;
      checkNumberFlag('max-tokens', maxTokens, 'a whole number >= 1', Number.isInteger(maxTokens) && maxTokens >= 1);
      checkNumberFlag('temperature', temperature, 'a number >= 0', temperature >= 0);
      if (topK !== undefined) checkNumberFlag('top-k', topK, 'a whole number >= 1', Number.isInteger(topK) && topK >= 1);
      // Greedy decoding takes the single most likely token: a top-k would be ignored without a word.
      if (topK !== undefined && temperature === 0) {
        throw new FloeError(`--top-k ${topK} has no effect with --temperature 0 (greedy decoding always takes the most likely token); add --temperature 1 (or another value > 0) to sample among the ${topK} most likely tokens`);
      }
      const seed = args.seed as number;
      checkNumberFlag('seed', seed, `a whole number from 0 to ${MAX_SEED}`, Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED);
      await initBackend({ name: args.backend as BackendName });
      const loaded = await loadCheckpointModel(args.checkpoint as string);
      try {
        if (!(loaded.model instanceof GptModel)) {
          // A supervised checkpoint is the usual mix-up: name the command that reads it.
          const instead = loaded.trainer instanceof SupervisedTrainer ? `; it was trained on feature rows (trainer '${loaded.config.type}'): predict with floe predict ${loaded.dir} --input rows.jsonl` : '';
          throw new FloeError(`checkpoint ${loaded.dir} holds a '${loaded.config.model.type}' model, which does not generate text; use a language-model checkpoint (model type gpt)${instead}`);
        }
        const rng = new Rng(args.seed as number);
        const format = promptFormat(loaded.config, loaded.tokenizer, { chat: args.chat as boolean, checkpoint: loaded.dir });
        const prompts = (args.prompt as string[]).map((text) => ({ text, ids: encodePrompt(loaded.tokenizer, text, format) }));
        checkPrompts(prompts, { maxLength: loaded.model.options.maxLength, slidingWindow: loaded.model.options.slidingWindow, maxTokens });
        const { tokenizer } = loaded;
        // A reply ends at eos, or at the end-of-turn token the chat template writes after replies (<|im_end|>).
        const endOfTurn = format.chat?.template === undefined ? undefined : templateEndOfTurnId(tokenizer, format.chat.template);
        const stops = endOfTurn === undefined ? [tokenizer.eosId] : [tokenizer.eosId, endOfTurn];
        for (const [i, { text: prompt, ids: promptIds }] of prompts.entries()) {
          // A completion continues its prompt; a chat reply stands alone (the prompt was the user's turn).
          const output = new ResultWriter(io, format.chat !== undefined ? '' : prompt);
          let streamed = 0;
          try {
            // A completion's text is what it adds to the prompt's (a SentencePiece decoder keeps its first space then).
            const stream = new TextStream(tokenizer, { context: format.chat !== undefined ? [] : promptIds });
            await generate(loaded.model, promptIds, {
              maxNewTokens: maxTokens,
              temperature,
              topK,
              rng,
              stopTokenIds: stops,
              onToken: (id) => {
                if (!stops.includes(id)) output.write(stream.push(id));
                streamed += 1;
              },
            });
            output.write(stream.flush());
          } catch (err) {
            // The text so far stays (a line begun is ended); stderr says it is cut short, then the error.
            output.abort();
            io.err(`error: --prompt ${i + 1} (${quoted(prompt)}) stopped after ${streamed} generated token${streamed === 1 ? '' : 's'}: the line above is incomplete`);
            throw err;
          }
          output.end();
        }
      } finally {
        loaded.dispose();
      }
      done(EXIT.ok);
    },
  );
}

/**
 * One prompt's result line. With a raw `io.write` the text goes out as it comes (the prompt
 * first); without one it is printed whole via `io.out` at the {@link end}. The stdout bytes are
 * the same either way.
 */
class ResultWriter {
  private buffered = '';
  private written = false;

  constructor(
    private readonly io: CliIo,
    head: string,
  ) {
    this.write(head);
  }

  /** Adds text to the line. */
  write(text: string): void {
    if (text === '') return;
    if (this.io.write === undefined) {
      this.buffered += text;
      return;
    }
    this.io.write(text);
    this.written = true;
  }

  /** Ends the line (an empty result is an empty line). */
  end(): void {
    if (this.io.write === undefined) this.io.out(this.buffered);
    else this.io.write('\n');
  }

  /**
   * Generation failed: the text so far is kept, a line already begun is ended so the error starts
   * on a clean line (without a raw write, what was buffered is printed as the line).
   */
  abort(): void {
    if (this.io.write === undefined) {
      if (this.buffered !== '') this.io.out(this.buffered);
    } else if (this.written) this.io.write('\n');
  }
}

/**
 * Prompts start as the training rows did: after bos when the data added one (`data.addBos`), or,
 * with --chat, as a user turn with the data's system prompt, in the data's chat format: Floe's, or
 * the Jinja template `data.chatTemplate` names (the tokenizer's, read again from its files).
 */
function promptFormat(config: TrainerConfig, tokenizer: Tokenizer, options: { chat: boolean; checkpoint: string }): PromptFormat {
  const data = config.data as { addBos?: unknown; systemPrompt?: unknown; chatTemplate?: unknown };
  if (options.chat) {
    const setting = typeof data.chatTemplate === 'string' ? data.chatTemplate : undefined;
    const template = checkpointChatTemplate(() => resolveChatTemplate(setting, tokenizer, config.tokenizer.type), options.checkpoint);
    return { chat: { systemPrompt: typeof data.systemPrompt === 'string' ? data.systemPrompt : undefined, template } };
  }
  return { addBos: resolveAddBos(data.addBos, tokenizer) };
}

/**
 * The chat template the checkpoint's recipe names. The recipe is the run's, not the user's: a
 * template that no longer resolves (tokenizer files changed since training) is named as the
 * checkpoint's recipe.yaml, with what the user can do instead of the recipe's "Allowed" values.
 */
function checkpointChatTemplate<T>(resolve: () => T, checkpoint: string): T {
  try {
    return resolve();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issues = error.issues.map((issue) => ({ ...issue, hint: 'Restore the tokenizer files the model was trained with, or generate without --chat.' }));
    throw new ConfigError(issues, `--chat: the chat format comes from the checkpoint's recipe (${path.join(checkpoint, 'recipe.yaml')}), which no longer works`);
  }
}

/**
 * An empty prompt (nothing to start from) and a prompt longer than the model's context are errors,
 * checked for every prompt before any is generated from. A long one is refused as llama.cpp and
 * vLLM refuse it: the model would see only its last `maxLength` tokens, so its start, often the
 * instruction, would be lost without a word. So is, for a model with a `slidingWindow` (Gemma 3),
 * a prompt whose tokens plus `--max-tokens` would pass the window.
 */
function checkPrompts(prompts: Array<{ text: string; ids: number[] }>, limits: { maxLength: number; slidingWindow?: number; maxTokens: number }): void {
  const { maxLength, slidingWindow, maxTokens } = limits;
  const empty = prompts.findIndex((p) => p.ids.length === 0);
  if (empty >= 0) {
    const what = prompts[empty].text === '' ? 'is empty' : `(${JSON.stringify(prompts[empty].text)}) encodes to no tokens`;
    throw new FloeError(`--prompt ${empty + 1} ${what}: a model trained without data.addBos has no start token to begin from; give it some text`);
  }
  const numbered = prompts.map((p, i) => ({ ...p, n: i + 1 }));
  const long = numbered.filter((p) => p.ids.length > maxLength);
  if (long.length > 0) {
    const which = long.map((p) => `--prompt ${p.n} (${quoted(p.text)}) is ${p.ids.length} tokens`);
    throw new FloeError(`${which.join('; ')}: the model reads at most ${maxLength} tokens (its maxLength); shorten the prompt to ${maxLength} tokens or fewer`);
  }
  if (slidingWindow === undefined) return;
  // Checked here, before any prompt runs, so the flag is named and no prompt's output is cut short.
  // The last new token is never fed back: the model sees prompt + maxTokens − 1 tokens.
  const past = numbered.filter((p) => p.ids.length + maxTokens - 1 > slidingWindow);
  if (past.length === 0) return;
  const which = past.map((p) => `--prompt ${p.n} (${quoted(p.text)}) is ${p.ids.length} tokens`).join('; ');
  const fits = Math.min(...past.map((p) => slidingWindow - p.ids.length + 1));
  const fix = fits >= 1 ? `pass --max-tokens ${fits} or fewer, or shorten the prompt` : `shorten the prompt to ${slidingWindow - 1} tokens or fewer`;
  throw new FloeError(
    `${which}: with --max-tokens ${maxTokens} the model would run over more than its slidingWindow of ${slidingWindow} tokens (the checkpoint's model.slidingWindow; HF's sliding_window), ` +
      `and Floe's full causal attention equals the local layers' window only up to it: ${fix}`,
  );
}

/** A prompt as messages show it: quoted, cut to 40 characters. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}

/** yargs reads a number flag given text (`--max-tokens abc`) as NaN: say so rather than "got NaN". */
function checkNumberFlag(flag: string, value: number, allowed: string, ok: boolean): void {
  if (ok) return;
  throw new FloeError(`--${flag} must be ${allowed}, got ${Number.isNaN(value) ? 'text that is not a number' : value}`);
}
