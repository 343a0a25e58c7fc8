import * as path from 'path';
import type { Argv } from 'yargs';
import { trainerSectionKinds, validateRecipe } from '../../config/validate-recipe';
import { FloeError } from '../../errors';
import { CliIo, EXIT } from '../cli-io';
import { withSetOption } from '../set-option';

/** `floe validate <recipe> [more..]`: full validation of each recipe, builds nothing heavy. */
export function validateCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'validate <recipe> [more..]',
    'Validate recipes (all errors at once, with file:line:col); exit 0 when every one is valid, 1 otherwise.',
    (y) =>
      withSetOption(
        y
          .positional('recipe', { type: 'string', demandOption: true, describe: 'Recipe file' })
          .positional('more', { type: 'string', array: true, describe: 'More recipe files, each checked on its own (floe validate recipes/*.yaml)' }),
      ),
    async (args) => {
      const overrides = (args.set as string[] | undefined) ?? [];
      const more = (args.more as string[] | undefined) ?? [];
      if (more.length === 0) {
        // One recipe: its error is the command's (message, exit code, --verbose stack).
        io.out(await describeValid(args.recipe as string, overrides));
        done(EXIT.ok);
        return;
      }
      // Several (a CI check of a folder): report each, go on past the invalid ones, fail if any is.
      let failed = 0;
      for (const recipe of [args.recipe as string, ...more]) {
        try {
          io.out(await describeValid(recipe, overrides));
        } catch (error) {
          if (!(error instanceof FloeError)) throw error;
          failed++;
          io.err(`error: ${recipe}: ${error.message}`);
        }
      }
      if (failed > 0) io.err(`${failed} of ${more.length + 1} recipes are invalid`);
      done(failed > 0 ? EXIT.badInput : EXIT.ok);
    },
  );
}

/** Validates one recipe: `OK: recipe.yaml is valid — trainer 'sft' (tokenizer: byte, ...)`. */
async function describeValid(recipe: string, overrides: string[]): Promise<string> {
  const { config, files, trainerClass } = await validateRecipe(recipe, { overrides });
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
  const shown = files[0] === undefined ? recipe : path.relative(process.cwd(), files[0]) || files[0];
  return `OK: ${shown} is valid — trainer '${config.type}' (${parts.join(', ')})`;
}
