import type { Argv } from 'yargs';
import { initBackend } from '../../backend/init-backend';
import { BACKEND_NAMES, BackendName } from '../../backend/backend-names';
import { loadCheckpointModel } from '../../checkpoint/load-checkpoint-model';
import { FloeError } from '../../errors';
import { generate } from '../../model/generate';
import { GptModel } from '../../model/gpt-model';
import { Rng } from '../../random';
import { CliIo, EXIT } from '../cli-io';

/** `floe generate --checkpoint <dir> --prompt "12+34="`: text from a trained language model. */
export function generateCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'generate',
    'Generate text from a checkpoint of a language model (greedy by default; --temperature and --top-k to sample).',
    (y) =>
      y
        .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint folder, folder of step-N checkpoints, or run folder (newest)' })
        .option('prompt', { type: 'string', array: true, demandOption: true, describe: 'Prompt text (repeatable)' })
        .option('max-tokens', { type: 'number', default: 64, describe: 'Most tokens to generate per prompt' })
        .option('temperature', { type: 'number', default: 0, describe: 'Sampling temperature; 0 is greedy' })
        .option('top-k', { type: 'number', describe: 'Sample only among the k most likely tokens' })
        .option('seed', { type: 'number', default: 0, describe: 'Seed for sampling' })
        .option('backend', { choices: BACKEND_NAMES as unknown as string[], default: 'auto', describe: 'tfjs backend' }),
    async (args) => {
      const maxTokens = args['max-tokens'] as number;
      const temperature = args.temperature as number;
      const topK = args['top-k'] as number | undefined;
      if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new FloeError(`--max-tokens must be a whole number >= 1, got ${maxTokens}`);
      if (!(temperature >= 0)) throw new FloeError(`--temperature must be >= 0, got ${temperature}`);
      if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw new FloeError(`--top-k must be a whole number >= 1, got ${topK}`);
      await initBackend({ name: args.backend as BackendName });
      const loaded = await loadCheckpointModel(args.checkpoint as string);
      try {
        if (!(loaded.model instanceof GptModel)) {
          throw new FloeError(`checkpoint ${loaded.dir} holds a '${loaded.config.model.type}' model, which does not generate text; use a language-model checkpoint (model type gpt)`);
        }
        const rng = new Rng(args.seed as number);
        for (const prompt of args.prompt as string[]) {
          const ids = await generate(loaded.model, loaded.tokenizer.encode(prompt), {
            maxNewTokens: maxTokens,
            temperature,
            topK,
            rng,
            stopTokenId: loaded.tokenizer.eosId,
          });
          const text = loaded.tokenizer.decode(ids.filter((id) => id !== loaded.tokenizer.eosId));
          io.out(`${prompt}${text}`);
        }
      } finally {
        loaded.dispose();
      }
      done(EXIT.ok);
    },
  );
}
