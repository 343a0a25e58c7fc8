import { pathToFileURL } from 'url';

// tsc compiles `import()` to `require()` under CommonJS, which cannot load ESM-only packages
// (vega, vega-lite); a Function body is invisible to tsc, so this stays a real dynamic import.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * Loads an ESM-only package from CommonJS. The specifier is resolved from this module first: a
 * bare `import()` inside a Function would resolve against the working directory instead.
 */
export async function importEsm<T>(specifier: string): Promise<T> {
  return (await dynamicImport(pathToFileURL(require.resolve(specifier)).href)) as T;
}
