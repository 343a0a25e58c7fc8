import * as path from 'path';
import { DistributedSetupError } from './distributed-errors';

/**
 * `workerModules` as the files each worker thread requires: a path (absolute, or `./`/`../`
 * relative to the working directory) or a package name (found from the working directory, then
 * from Floe's own folder). Resolved here, in the launching thread, so a missing module fails once
 * before any worker starts, naming the setting; a worker would look a relative path up beside
 * Floe's own files, and every rank would fail with a bare "Cannot find module".
 */
export function resolveWorkerModules(modules: readonly string[], cwd = process.cwd()): string[] {
  return modules.map((module) => {
    const isPath = path.isAbsolute(module) || /^\.\.?[\\/]/.test(module);
    const attempts = isPath ? [() => require.resolve(path.resolve(cwd, module))] : [() => require.resolve(module, { paths: [cwd] }), () => require.resolve(module)];
    let reason = '';
    for (const attempt of attempts) {
      try {
        return attempt();
      } catch (error) {
        reason ||= (error as Error).message.split('\n')[0];
      }
    }
    throw new DistributedSetupError(
      `workerModules: cannot load '${module}' for the worker threads (${reason}${isPath ? '' : `, looked up from ${cwd}`}). ` +
        `Give the path of a built .js module (absolute, or ./relative to the working directory ${cwd}) or an installed package name.`,
    );
  });
}
