import { createHash } from 'crypto';
import { createReadStream } from 'fs';

/** Hex sha256 of a file, streamed so multi-gigabyte checkpoints never sit in memory at once. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
