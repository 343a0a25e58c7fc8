import * as fs from 'fs';
import * as path from 'path';

/**
 * Where a plugin spec points: `./x.js`, `../x.js` and absolute paths are files relative to `dir`;
 * a bare spec (`plugins/x.js`) is a file too when one exists there, else a package name
 * (`my-floe-plugin`, `@scope/plugin`) for require to find.
 */
export function resolveModuleSpec(spec: string, dir: string): string {
  if (spec.startsWith('.') || path.isAbsolute(spec)) return path.resolve(dir, spec);
  const file = path.resolve(dir, spec);
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() === true ? file : spec;
}
