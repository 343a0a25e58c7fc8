import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A fresh empty folder under the OS temp dir; `cleanup()` deletes it. */
export async function makeTempDir(prefix = 'floe-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}
