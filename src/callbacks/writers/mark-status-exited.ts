import * as fs from 'fs';
import * as path from 'path';

/**
 * Marks the run's status file (`status.json` in `outputDir`, or `file` where a recipe moved it)
 * `failed` with `reason`, synchronously: for a process about to exit at once (a second Ctrl-C),
 * where no async write would finish. Keeps the file's other fields (step, loss, checkpoint). Does
 * nothing when the run writes no status file.
 */
export function markStatusExited(outputDir: string, reason: string, file = path.join(outputDir, 'status.json')): void {
  let current: Record<string, unknown>;
  try {
    current = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return;
  }
  const next = { ...current, state: 'failed', error: reason, etaSec: undefined, pid: process.pid, updatedAt: new Date().toISOString() };
  const tmp = `${file}.exit-${process.pid}`;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`);
    fs.renameSync(tmp, file);
  } catch {
    // Exiting anyway: a status file that cannot be written must not keep the process alive.
    fs.rmSync(tmp, { force: true });
  }
}
