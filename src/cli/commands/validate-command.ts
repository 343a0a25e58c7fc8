import * as path from 'path';
import type { Argv } from 'yargs';
import { trainerSectionKinds, validateRecipe } from '../../config/validate-recipe';
import { CliIo, EXIT } from '../cli-io';
import { withSetOption } from '../set-option';

/** `floe validate <recipe>`: full validation, builds nothing heavy. */
export function validateCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'validate <recipe>',
    'Validate a recipe (all errors at once, with file:line:col); exit 0 when valid, 1 otherwise.',
    (y) => withSetOption(y.positional('recipe', { type: 'string', demandOption: true, describe: 'Recipe file' })),
    async (args) => {
      const { config, files, trainerClass } = await validateRecipe(args.recipe as string, { overrides: (args.set as string[] | undefined) ?? [] });
      const record = config as unknown as Record<string, { type?: string } | Array<{ type: string }>>;
      // The usual sections first, then any the trainer adds (`loss`, a plugin's own kind).
      const own = trainerSectionKinds(trainerClass).filter((k) => k.trainerAttribute !== undefined).map((k) => k.recipeSection as string);
      const usual = ['tokenizer', 'data', 'model', 'optimizer', 'scheduler', 'checkpoint'];
      const parts = [...usual, ...own.filter((s) => !usual.includes(s))]
        .filter((s) => record[s] !== undefined)
        .map((s) => {
          const v = record[s];
          return `${s}: ${Array.isArray(v) ? v.map((x) => x.type).join('+') || 'none' : v.type}`;
        });
      const shown = files[0] === undefined ? String(args.recipe) : path.relative(process.cwd(), files[0]) || files[0];
      io.out(`OK: ${shown} is valid — trainer '${config.type}' (${parts.join(', ')})`);
      done(EXIT.ok);
    },
  );
}
