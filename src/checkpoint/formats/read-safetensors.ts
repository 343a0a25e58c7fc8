import { promises as fs } from 'fs';
import { CheckpointError } from '../../errors';
import { SafetensorsContents, decodeSafetensors, readHeaderLength } from './decode-safetensors';
import { SafetensorsHeader, parseSafetensorsHeader } from './safetensors-header';

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new CheckpointError(`Cannot read safetensors file '${file}': ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads and validates a whole safetensors file.
 * @throws CheckpointError naming the file and the problem (truncated, bad JSON, bad offsets, ...).
 */
export async function readSafetensors(file: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await readBytes(file), file);
}

/**
 * Reads and validates only the header (names, dtypes, shapes, metadata) without loading the data,
 * e.g. to inspect a large checkpoint.
 */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw new CheckpointError(`Cannot read safetensors file '${file}': ${(err as Error).message}`, { cause: err });
  }
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    await handle.read(prefix, 0, Math.min(8, size), 0);
    const length = readHeaderLength(prefix, size, file);
    const header = new Uint8Array(length);
    await handle.read(header, 0, length, 8);
    return parseSafetensorsHeader(header, size - 8 - length, file);
  } finally {
    await handle.close();
  }
}
