import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import '../index';
import { allComponentKinds } from '../registry/component-kind';
import { getRegistry } from '../registry/registries';
import { renderCliReference, spliceGenerated } from './cli-reference';
import { describeConfigFields } from './config-fields';
import { extractFieldDocs, formatFieldDocs } from './extract-field-docs';
import { FieldDocs } from './field-docs';
import { describeComponent } from './recipe-schema';
import { renderRecipeReference, RECIPE_DOCS_COMMAND } from './recipe-reference';

/** A generated file: where it goes and what it should hold. */
export interface GeneratedFile {
  /** Path relative to the package root. */
  file: string;
  /** The content it should have. */
  content: string;
}

/** The package root, from `dist/src/docs/` (compiled) or `src/docs/`. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** The CLI guide; its command reference (every `--help`) is generated. */
const CLI_GUIDE = 'docs/cli.md';

/**
 * Every generated doc file, rendered from the sources as they are now: the field docs JSON
 * (TSDoc of every config field, read with the TypeScript compiler), the recipe reference, and
 * the CLI guide's command reference. Dev-only: needs typescript.
 */
export async function generatedDocFiles(root: string = packageRoot(), docs: FieldDocs = extractFieldDocs({ root })): Promise<GeneratedFile[]> {
  const cliGuide = fs.readFileSync(path.join(root, CLI_GUIDE), 'utf8');
  return [
    { file: 'src/docs/field-docs.json', content: formatFieldDocs(docs) },
    { file: 'docs/recipes-reference.md', content: renderRecipeReference({ docs }) },
    { file: CLI_GUIDE, content: spliceGenerated(cliGuide, await renderCliReference(), CLI_GUIDE) },
  ];
}

/** Generated files whose committed content differs from `generated`. */
export function staleDocFiles(root: string, generated: GeneratedFile[]): string[] {
  return generated
    .filter((g) => {
      const target = path.join(root, g.file);
      return !fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== g.content;
    })
    .map((g) => g.file);
}

/**
 * Registered components (and recipe fields) without a TSDoc description, as
 * `optimizer adamw: lr` lines. Every recipe setting needs one: the reference, `floe schema` and
 * editors show it.
 */
export function undocumentedRecipeFields(docs: FieldDocs): string[] {
  const out: string[] = [];
  for (const kind of allComponentKinds()) {
    for (const cls of getRegistry(kind.name).classes) {
      if (describeComponent(cls, docs) === '') out.push(`${kind.name} ${cls.type}: class ${cls.name} (or its config ${cls.configType.name}) has no TSDoc`);
      for (const f of describeConfigFields(cls.configType, { docs })) {
        if (f.description === '') out.push(`${kind.name} ${cls.type}: ${cls.configType.name}.${f.name} has no TSDoc`);
        if (f.nested !== undefined) {
          for (const n of describeConfigFields(f.nested, { docs, omit: [] })) if (n.description === '') out.push(`${kind.name} ${cls.type}: ${f.nested.name}.${n.name} has no TSDoc`);
        }
      }
    }
  }
  return [...new Set(out)];
}

/** `node dist/src/docs/generate-docs.js [--check]`: writes (or, with --check, verifies) the generated docs. */
async function main(argv: string[]): Promise<number> {
  const root = packageRoot();
  if (argv.includes('--check')) {
    const docs = extractFieldDocs({ root });
    const undocumented = undocumentedRecipeFields(docs);
    for (const line of undocumented) process.stderr.write(`Undocumented: ${line}\n`);
    const stale = staleDocFiles(root, await generatedDocFiles(root, docs));
    if (stale.length > 0) process.stderr.write(`Out of date: ${stale.join(', ')}. Run \`${RECIPE_DOCS_COMMAND}\` to update.\n`);
    return stale.length === 0 && undocumented.length === 0 ? 0 : 1;
  }
  for (const g of await generatedDocFiles(root)) {
    const target = path.join(root, g.file);
    const before = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (before === g.content) continue;
    fs.writeFileSync(target, g.content);
    process.stdout.write(`wrote ${g.file}\n`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
