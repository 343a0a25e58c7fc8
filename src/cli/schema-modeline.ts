import * as fs from 'fs';
import * as path from 'path';

/** `a/b` on every platform: yaml-language-server reads the modeline's path as a URI path. */
const slashed = (p: string): string => p.split(path.sep).join('/');

/**
 * What to put at the top of a recipe so yaml-language-server finds the schema written to `out`.
 * The modeline's path is read from the recipe's own folder, not from where `floe schema` ran,
 * so `out` as typed is right only for recipes in the working folder: when `recipes/` is there
 * (where `floe train <name>` looks) the line is given relative to it, and the absolute path for
 * recipes anywhere else (alone for a schema outside the working folder).
 */
export function schemaModelineHint(out: string, cwd: string = process.cwd()): string {
  const file = path.resolve(cwd, out);
  const absolute = `# yaml-language-server: $schema=${slashed(file)}`;
  const recipes = path.join(cwd, 'recipes');
  // A schema outside the project is clearer by its absolute path than by ../../.. from recipes/.
  const outside = path.relative(cwd, file).startsWith('..') || path.isAbsolute(path.relative(cwd, file));
  if (outside || !isFolder(recipes)) {
    return `Editors with yaml-language-server: put "${absolute}" at the top of a recipe (a relative $schema path is read from the recipe's folder).`;
  }
  const relative = `# yaml-language-server: $schema=${slashed(path.relative(recipes, file))}`;
  return `Editors with yaml-language-server: put "${relative}" at the top of a recipe in recipes/ (the path is relative to the recipe's folder); elsewhere "${absolute}".`;
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
