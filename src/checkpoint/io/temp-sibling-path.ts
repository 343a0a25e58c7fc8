import { randomBytes } from 'crypto';
import * as path from 'path';

/**
 * A fresh, hidden path next to `target` (same folder, so a later `rename` stays on one file system
 * and is atomic). The dot prefix keeps it out of listings that look for finished checkpoints.
 */
export function tempSiblingPath(target: string): string {
  const dir = path.dirname(path.resolve(target));
  const base = path.basename(target);
  return path.join(dir, `.${base}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}
