import type { Argv } from 'yargs';
import { allowedClasses, trainerSectionKinds } from '../../config/validate-recipe';
import { ConfigField, describeConfigFields } from '../../docs/config-fields';
import { FloeError, listChoices, didYouMean } from '../../errors';
import { allComponentKinds, ComponentClass, getComponentKind, pluralLabel } from '../../registry/component-kind';
import { getRegistry } from '../../registry/registries';
import { CliIo, EXIT } from '../cli-io';
import { loadCodePlugins, withCodeOption } from '../code-option';

/**
 * `floe list [kind] [--code plugin.js]`: registered types with their config fields, each with its
 * default or `(required)`; `--code` imports plugins first, so their types are listed too.
 */
export function listCommand(yargs: Argv, io: CliIo, done: (code: number) => void): Argv {
  const kindNames = kindsTrainersFirst().map((k) => k.name);
  return yargs.command(
    'list [kind]',
    `List registered components (${kindNames.join(', ')}) with their settings: each one's default, (required), or (unset) when optional with no default.`,
    (y) =>
      withCodeOption(y.positional('kind', { type: 'string', describe: 'Only this kind' }), 'Import a plugin first, so its trainers and components are listed too (repeatable)'),
    async (args) => {
      const code = (args.code as string[] | undefined) ?? [];
      await loadCodePlugins(code);
      const kinds = kindsTrainersFirst();
      const names = kinds.map((k) => k.name);
      // `floe list trainers` means the kind `trainer`, as kubectl takes `pods` and `pod`.
      const typed = args.kind as string | undefined;
      const wanted = typed === undefined || names.includes(typed) ? typed : (names.find((n) => typed === `${n}s` || typed === `${n}es`) ?? typed);
      if (wanted !== undefined && !names.includes(wanted)) {
        // A type given for its kind (`floe list gpt`): name the kind that lists it.
        const owners = names.filter((n) => getRegistry(n).types.includes(wanted));
        const asType = owners.length === 0 ? '' : ` '${wanted}' is a type of ${owners.map((n) => `kind ${n} (floe list ${n})`).join(' and of ')}.`;
        // A kind a plugin declares exists only once the plugin is imported.
        const suggestion = asType || didYouMean(wanted, names) || (code.length === 0 ? ` A kind a plugin declares is listed with its plugin: floe list ${wanted} --code ./plugin.js.` : '');
        throw new FloeError(`Unknown kind '${wanted}'. Kinds: ${listChoices(names)}.${suggestion}`);
      }
      for (const kind of kinds) {
        if (wanted !== undefined && kind.name !== wanted) continue;
        const classes = getRegistry(kind.name).classes;
        if (classes.length === 0) continue;
        io.out(`${pluralLabel(kind.label)}:`);
        for (const cls of classes) describeClass(cls, io);
      }
      done(EXIT.ok);
    },
  );
}

/** Every component kind, trainers first (as in the help): they decide which of the other kinds a recipe has. */
function kindsTrainersFirst(): ReturnType<typeof allComponentKinds> {
  return [...allComponentKinds()].sort((a, b) => Number(b.name === 'trainer') - Number(a.name === 'trainer'));
}

/** ` (a list of data sources: synthetic, text, jsonl)` for a field of nested components. */
function componentNote(field: ConfigField): string {
  if (field.component === undefined) return '';
  const kind = getComponentKind(field.component.kind);
  const types = getRegistry(field.component.kind).types;
  const label = kind === undefined ? field.component.kind : field.component.list ? pluralLabel(kind.label) : kind.label;
  return ` (${field.component.list ? 'a list of ' : ''}${label}: ${listChoices(types)})`;
}

/** `optimizer factory` → `optimizer factories`, `trainer` → `trainers`. */
function describeClass(cls: ComponentClass, io: CliIo): void {
  io.out(`  ${cls.type}  (${cls.name})`);
  // Required settings first, as in the recipe reference; `(unset)` is an optional one without a default.
  for (const field of describeConfigFields(cls.configType)) {
    io.out(`      ${field.name}: ${field.required ? '(required)' : field.default === undefined ? '(unset)' : JSON.stringify(field.default)}${componentNote(field)}`);
  }
  if (cls.kind === 'trainer') {
    for (const kind of trainerSectionKinds(cls as unknown as Function)) {
      if (kind.trainerAttribute === undefined) continue;
      io.out(`      ${kind.recipeSection}.type: ${allowedClasses(cls as unknown as Function, kind).map((c) => c.type).join(' | ')}`);
    }
  }
}
