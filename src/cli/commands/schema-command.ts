import { promises as fs } from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import { makeFolder } from '../../checkpoint/io/make-folder';
import { buildRecipeSchema } from '../../docs/recipe-schema';
import { FloeError } from '../../errors';
import { fsErrorReason } from '../../errors/fs-error-reason';
import { getRegistry } from '../../registry/registries';
import { CliIo, EXIT } from '../cli-io';
import { loadCodePlugins, withCodeOption } from '../code-option';
import { schemaModelineHint } from '../schema-modeline';
import { UsageError } from '../usage-error';

/**
 * `floe schema [--out recipe.schema.json] [--code plugin.js]`: a JSON Schema of recipes for the
 * trainers and components registered (plus those the plugins register), for editors running
 * yaml-language-server.
 */
export function schemaCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'schema',
    'Write a JSON Schema of recipes (every registered trainer and the types each section allows) for editor completion and checking.',
    (y) =>
      withCodeOption(
        y.option('out', { type: 'string', describe: 'Write the schema to this file instead of stdout' }),
        'Import a plugin first, so its trainers and factories are in the schema (repeatable)',
      ),
    async (args) => {
      const out = args.out as string | undefined;
      // A bare --out parses as '', which failed as "Cannot write the schema to : ... (ENOENT)".
      if (out === '') throw new UsageError('--out needs a value: the file to write the schema to, e.g. --out recipe.schema.json (leave --out out to print it)');
      const code = (args.code as string[] | undefined) ?? [];
      await loadCodePlugins(code);
      const text = `${JSON.stringify(buildRecipeSchema(), null, 2)}\n`;
      if (out === undefined) {
        io.out(text.trimEnd());
      } else {
        // makeFolder, not mkdir -p: Node's recursive mkdir never returns below a folder such as /proc.
        const cannotWrite = (error: unknown): FloeError => new FloeError(`Cannot write the schema to ${out}: ${fsErrorReason(error)}`, { cause: error });
        const existing = await fs.stat(out).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(cannotWrite(error))));
        if (existing?.isDirectory() === true) throw new UsageError(`--out ${out} is a folder: give a file name, e.g. --out ${path.join(out, 'recipe.schema.json')}`);
        await makeFolder(path.dirname(path.resolve(out))).catch((error: unknown) => Promise.reject(cannotWrite(error)));
        await fs.writeFile(out, text).catch((error: unknown) => Promise.reject(cannotWrite(error)));
        const trainers = getRegistry('trainer').types.join(', ');
        io.out(`wrote ${out} (trainers: ${trainers})`);
        io.out(schemaModelineHint(out));
      }
      done(EXIT.ok);
    },
  );
}
