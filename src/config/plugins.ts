import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, ConfigIssue, FloeError } from '../errors';
import { loadedFloeCopies } from '../registry/registries';
import { joinPath } from './config-path';
import { resolveModuleSpec } from './module-spec';
import { SourceMap } from './source-map';

/** Real dynamic import (TypeScript would turn `import()` into `require` under CommonJS). */
const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

/**
 * Imports the recipe's plugin modules (`code: ./my_trainer.js`, or a list under `plugins:`)
 * before validation, so the trainers and factories they register can be chosen by `type`.
 * Relative paths were made absolute against the declaring recipe while composing.
 */
export async function loadPlugins(recipe: Record<string, unknown>, sourceMap: SourceMap, recipeDir: string): Promise<string[]> {
  const specs: Array<{ spec: unknown; at: string }> = [];
  for (const key of ['code', 'plugins']) {
    const value = recipe[key];
    // null unsets, as for any setting: no modules of its own.
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) value.forEach((spec, i) => specs.push({ spec, at: joinPath(key, i) }));
    else specs.push({ spec: value, at: key });
  }
  const issues: ConfigIssue[] = [];
  const loaded: string[] = [];
  for (const { spec, at } of specs) {
    if (typeof spec !== 'string' || spec.trim() === '') {
      issues.push({ path: at, message: `must be a module path (./my_trainer.js) or package name, got ${JSON.stringify(spec)}`, location: sourceMap.locate(at) });
      continue;
    }
    const target = resolveModuleSpec(spec, recipeDir);
    const copiesBefore = loadedFloeCopies().all.length;
    try {
      await importPlugin(target);
      const secondCopy = loadedFloeCopies().all.slice(copiesBefore)[0];
      if (secondCopy !== undefined) {
        issues.push({ path: at, message: secondCopyMessage(spec, secondCopy), location: sourceMap.locate(at) });
        continue;
      }
      loaded.push(target);
    } catch (error) {
      const reason = error instanceof FloeError ? error.message : describeImportError(error, target);
      issues.push({ path: at, message: pluginProblem(target, reason), location: sourceMap.locate(at) });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Cannot load recipe plugins');
  return loaded;
}

/**
 * `<plugin>: <reason>`, the plugin named once and as messages show files (relative to the working
 * folder): the error's header already says plugins could not be loaded, which each line repeated
 * (`Cannot load recipe plugins: code: cannot load plugin /abs/x.js: /abs/x.js requires ...`).
 */
function pluginProblem(target: string, reason: string): string {
  const shown = path.isAbsolute(target) ? path.relative(process.cwd(), target) || target : target;
  // A reason that starts by naming the plugin (a module it requires is missing) names it already.
  return reason.startsWith(`${shown} `) ? reason : `${shown}: ${reason}`;
}

/**
 * A plugin that resolved `floe` to another copy registered its classes there: this copy would
 * then report its types as unknown, without a word about why.
 */
function secondCopyMessage(spec: string, secondCopy: string): string {
  return (
    `plugin ${spec} loaded a second copy of Floe (${secondCopy}) beside the one reading this recipe (${loadedFloeCopies().self}), ` +
    `so what it registers goes to that copy and this one never sees it. Run the floe of the plugin's own project (npx floe), ` +
    `or make its 'floe' dependency resolve to this one (a peerDependency, npm link, or a file: dependency)`
  );
}

async function importPlugin(target: string): Promise<void> {
  if (path.isAbsolute(target) && !fs.existsSync(target)) throw new FloeError(`file not found (resolved to ${target})`);
  if (target.endsWith('.mjs')) {
    await dynamicImport(`file://${target}`);
    return;
  }
  if (/\.(c?ts|mts)$/.test(target)) registerTypeScript(target);
  try {
    require(target);
  } catch (error) {
    // An ES module plugin: fall back to a real dynamic import.
    if ((error as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') await dynamicImport(path.isAbsolute(target) ? `file://${target}` : target);
    else throw error;
  }
}

let tsRegistered = false;

/** TypeScript plugins run through ts-node when it is installed (it keeps decorator metadata). */
function registerTypeScript(target: string): void {
  if (tsRegistered) return;
  let tsNode: { register: (options: object) => void };
  try {
    tsNode = require(require.resolve('ts-node', { paths: [path.dirname(target), process.cwd()] }));
  } catch {
    throw new FloeError(`${target} is TypeScript; compile it with tsc and point the recipe at the .js file, or install ts-node (npm install --save-dev ts-node)`);
  }
  tsNode.register({ transpileOnly: false, compilerOptions: { module: 'commonjs', experimentalDecorators: true, emitDecoratorMetadata: true } });
  tsRegistered = true;
}

function describeImportError(error: unknown, target: string): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${target}'`)) return `module not found: ${target} (a file path starts with ./)`;
  const where = pluginLocation(e, target);
  const at = where === undefined ? '' : ` (at ${where})`;
  const missing = e.code === 'MODULE_NOT_FOUND' ? /^Cannot find module '([^']+)'/.exec(e.message ?? '')?.[1] : undefined;
  // Node names the file that asked for it first in its require stack: the plugin, or a file it loads.
  const stack = (e as { requireStack?: unknown }).requireStack;
  const requirer = Array.isArray(stack) && typeof stack[0] === 'string' ? stack[0] : target;
  if (missing !== undefined) return `${missingModuleReason(missing, requirer)}${at}`;
  return `${e.message ?? String(error)}${at}`;
}

/**
 * A module the plugin requires that Node cannot find from the plugin's folder, most often `floe`
 * itself (a plugin written beside a recipe, run with a floe installed elsewhere). Node's message
 * adds the whole require stack, which says nothing the user can act on.
 */
function missingModuleReason(missing: string, requirer: string): string {
  const from = path.dirname(path.resolve(requirer));
  const who = path.relative(process.cwd(), requirer) || requirer;
  if (missing === 'floe' || missing.startsWith('floe/')) {
    const root = path.resolve(loadedFloeCopies().self, '..', '..');
    return (
      `${who} requires '${missing}', which Node cannot find from ${from}. Install Floe in the plugin's project (npm install floe) and run ` +
      `that project's floe (npx floe), or link the floe running now into it (npm link ${root})`
    );
  }
  if (missing.startsWith('.') || path.isAbsolute(missing)) return `${who} requires '${missing}', which is not there (${path.resolve(from, missing)}[.js])`;
  // The package name: `lodash/fp` → lodash, `@scope/pkg/x` → @scope/pkg.
  const pkg = missing.split('/').slice(0, missing.startsWith('@') ? 2 : 1).join('/');
  return `${who} requires '${missing}', which Node cannot find from ${from}: install it in the plugin's project (npm install ${pkg})`;
}

/**
 * file:line[:col] of the error in the plugin's own file: a SyntaxError's stack starts with
 * `file:line`, the source line and a line of `^` under the offending token (its column); a
 * runtime error's has a frame `(file:line:col)`.
 */
function pluginLocation(error: Error, target: string): string | undefined {
  const stack = typeof error.stack === 'string' ? error.stack : '';
  const display = (file: string): string => path.relative(process.cwd(), file) || file;
  const first = /^(.+):(\d+)\n[^\n]*\n( *)\^|^(.+):(\d+)\n/.exec(stack);
  if (error instanceof SyntaxError && first !== null) {
    if (first[1] === undefined) return `${display(first[4])}:${first[5]}`;
    return `${display(first[1])}:${first[2]}:${first[3].length + 1}`;
  }
  if (!path.isAbsolute(target)) return undefined;
  const frame = stack.split('\n').find((l) => l.includes(`${target}:`));
  const at = frame === undefined ? null : new RegExp(`${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(frame);
  return at === null ? undefined : `${display(target)}:${at[1]}:${at[2]}`;
}
