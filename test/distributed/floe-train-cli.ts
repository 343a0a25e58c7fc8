import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { FLOE_BIN } from './mpi-support';

/** Two worker threads: with {@link ONE_PROCESS}, the same global batch. */
export const THREADS = { distributed: { backend: 'threads', workers: 2 } };

/** One process accumulating 2 micro-batches: the global batch of {@link THREADS}. */
export const ONE_PROCESS = { distributed: 'none', gradientAccumulationSteps: 2 };

/** What a `floe train` process did. */
export interface FloeTrainRun {
  /** Its exit code. */
  code: number | null;
  /** Everything it printed to stdout. */
  stdout: string;
  /** Everything it printed to stderr. */
  stderr: string;
}

/** `floe train recipe.yaml` in `cwd` (made if needed), with `recipe` (YAML text; JSON is YAML) written there. */
export function floeTrain(cwd: string, recipe: string): Promise<FloeTrainRun> {
  fs.mkdirSync(cwd, { recursive: true });
  fs.writeFileSync(path.join(cwd, 'recipe.yaml'), recipe);
  const child = spawn(process.execPath, [FLOE_BIN, 'train', 'recipe.yaml'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
