import * as path from 'path';
import { isPlainObject } from './compose';

/**
 * Setting names whose values are files or folders relative to the recipe that declares them
 * (`data.sources[i].paths`, `model.from`, `model.modelJson`, `tokenizer.path`, ...). Top-level
 * settings are not among them: `outputDir` and `killSwitchFile` are relative to the working
 * folder, `code`/`plugins` are handled with `extends`; checkpoint `dir`s are relative to the run.
 */
export const RECIPE_RELATIVE_PATH_KEYS: readonly string[] = ['paths', 'path', 'from', 'modelJson', 'configPath'];

/**
 * A copy of `recipe` whose recipe-relative paths (see {@link RECIPE_RELATIVE_PATH_KEYS}), written
 * relative to `fromDir`, are rewritten relative to `toDir`, or made absolute when `toDir` is
 * undefined. Absolute paths are kept.
 */
export function rebaseRecipePaths(recipe: Record<string, unknown>, fromDir: string, toDir?: string): Record<string, unknown> {
  const rebase = (p: string): string => {
    if (p === '' || path.isAbsolute(p)) return p;
    const absolute = path.resolve(fromDir, p);
    return toDir === undefined ? absolute : path.relative(toDir, absolute) || '.';
  };
  const walk = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const isPath = depth > 0 && RECIPE_RELATIVE_PATH_KEYS.includes(key);
      if (isPath && typeof v === 'string') out[key] = rebase(v);
      else if (isPath && Array.isArray(v)) out[key] = v.map((item) => (typeof item === 'string' ? rebase(item) : item));
      else out[key] = key === 'checkpoint' && depth === 0 ? v : walk(v, depth + 1);
    }
    return out;
  };
  return walk(recipe, 0) as Record<string, unknown>;
}
