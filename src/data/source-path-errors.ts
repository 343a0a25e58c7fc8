import { ConfigError } from '../errors';
import { DataPathError } from './sources/glob';

/**
 * Runs `read` (a pass over the source at `configPath`, e.g. `data.sources[0]`). A path of the
 * source's `paths` that gives no files is a recipe mistake: it becomes a ConfigError at
 * `<configPath>.paths[j]`, which the run locates at the recipe's file:line:col.
 */
export async function withSourcePathErrors<T>(configPath: string, config: unknown, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof DataPathError)) throw error;
    const paths = (config as { paths?: unknown } | undefined)?.paths;
    const j = Array.isArray(paths) ? paths.indexOf(error.pattern) : -1;
    if (j < 0) throw error;
    throw new ConfigError([{ path: `${configPath}.paths[${j}]`, message: error.message }]);
  }
}
