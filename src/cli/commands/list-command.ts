import type { Argv } from 'yargs';
import { ConfigClass } from '../../config/component-config';
import { toPlainConfig } from '../../config/to-plain';
import { knownConfigKeys } from '../../config/validate-config';
import { allowedClasses, trainerSectionKinds } from '../../config/validate-recipe';
import { FloeError, listChoices, didYouMean } from '../../errors';
import { allComponentKinds, ComponentClass } from '../../registry/component-kind';
import { getRegistry } from '../../registry/registries';
import { CliIo, EXIT } from '../cli-io';

/** `floe list [kind]`: registered types with their config fields and defaults. */
export function listCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  return yargs.command(
    'list [kind]',
    'List registered components (trainer, data, model, optimizer, scheduler, tokenizer, checkpoint, callback, source) with their settings and defaults.',
    (y) => y.positional('kind', { type: 'string', describe: 'Only this kind' }),
    async (args) => {
      const kinds = allComponentKinds();
      const names = kinds.map((k) => k.name);
      const wanted = args.kind as string | undefined;
      if (wanted !== undefined && !names.includes(wanted)) {
        throw new FloeError(`Unknown kind '${wanted}'. Kinds: ${listChoices(names)}.${didYouMean(wanted, names)}`);
      }
      for (const kind of kinds) {
        if (wanted !== undefined && kind.name !== wanted) continue;
        const classes = getRegistry(kind.name).classes;
        if (classes.length === 0) continue;
        io.out(`${plural(kind.label)}:`);
        for (const cls of classes) describeClass(cls, io);
      }
      done(EXIT.ok);
    },
  );
}

/** `optimizer factory` → `optimizer factories`, `trainer` → `trainers`. */
function plural(label: string): string {
  return /[^aeiou]y$/.test(label) ? `${label.slice(0, -1)}ies` : `${label}s`;
}

function describeClass(cls: ComponentClass, io: CliIo): void {
  io.out(`  ${cls.type}  (${cls.name})`);
  const defaults = toPlainConfig(new (cls.configType as ConfigClass)()) as Record<string, unknown>;
  for (const key of knownConfigKeys(cls.configType)) {
    if (key === 'type') continue;
    const value = defaults[key];
    io.out(`      ${key}: ${value === undefined ? '(unset)' : JSON.stringify(value)}`);
  }
  if (cls.kind === 'trainer') {
    for (const kind of trainerSectionKinds(cls as unknown as Function)) {
      if (kind.trainerAttribute === undefined) continue;
      io.out(`      ${kind.recipeSection}.type: ${allowedClasses(cls as unknown as Function, kind).map((c) => c.type).join(' | ')}`);
    }
  }
}
