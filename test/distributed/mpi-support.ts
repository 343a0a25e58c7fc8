import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadMpiBinding } from '../../src';

/** bin/floe.js of this checkout (the tests run from dist/test/distributed). */
export const FLOE_BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'floe.js');

/** Why mpirun cannot run the ranks here (no Open MPI, or the addon is not built), or undefined when it can. */
export function mpiUnavailable(): string | undefined {
  const probe = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return 'mpirun not found (apt-get install openmpi-bin libopenmpi-dev)';
  try {
    loadMpiBinding();
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** mpirun's flags for running as root and with more ranks than cores. */
export function mpirunFlags(): string[] {
  return ['--oversubscribe', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : [])];
}
