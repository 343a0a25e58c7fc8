import * as fs from 'fs/promises';
import * as path from 'path';
import { CheckpointError } from '../../errors';

/** Whether a file or folder exists. */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** A HuggingFace folder's parsed `config.json`. */
export interface HfConfigJson {
  /** The file read (absolute). */
  file: string;
  /** Its top-level object. */
  json: Record<string, unknown>;
}

/**
 * Reads `config.json` of a HuggingFace folder.
 *
 * @throws CheckpointError naming the file when it cannot be read or is not a JSON object.
 */
export async function readHfConfigJson(dir: string): Promise<HfConfigJson> {
  const file = path.join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new CheckpointError(`Cannot read HuggingFace config '${file}': ${(error as Error).message}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CheckpointError(`HuggingFace config '${file}' is not a JSON object.`);
  return { file, json: json as Record<string, unknown> };
}

/**
 * The safetensors files of a HF folder: `model.safetensors`, or the shards its
 * `model.safetensors.index.json` lists (sorted).
 *
 * @throws CheckpointError when there are none, or the index is unreadable or names a shard that is
 * not a .safetensors file name inside the folder.
 */
export async function hfWeightFiles(dir: string): Promise<string[]> {
  const single = path.join(dir, 'model.safetensors');
  if (await pathExists(single)) return [single];
  const index = path.join(dir, 'model.safetensors.index.json');
  if (await pathExists(index)) {
    let map: Record<string, string>;
    try {
      map = (JSON.parse(await fs.readFile(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
    } catch (error) {
      throw new CheckpointError(`Cannot read safetensors index '${index}': ${(error as Error).message}`, { cause: error });
    }
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError(`Safetensors index '${index}' has no 'weight_map' object.`);
    for (const [tensor, shard] of Object.entries(map)) {
      const problem = shardNameProblem(shard);
      if (problem !== undefined) {
        throw new CheckpointError(
          `Safetensors index '${index}': weight_map entry '${tensor}' names shard ${JSON.stringify(shard)}, ${problem}. ` +
            `Expected the name of a .safetensors file inside '${dir}' (model-00001-of-00002.safetensors), without a folder.`,
        );
      }
    }
    const shards = [...new Set(Object.values(map))];
    return shards.sort().map((s) => path.join(dir, s));
  }
  const hint = (await pathExists(path.join(dir, 'pytorch_model.bin'))) ? ' It has pytorch_model.bin only: save it as safetensors first (model.save_pretrained(dir, safe_serialization=True)).' : '';
  throw new CheckpointError(`HuggingFace folder '${dir}' has no model.safetensors (or model.safetensors.index.json).${hint}`);
}

/**
 * Why a weight_map shard value is not a file name inside the index's folder, or undefined. A name
 * that is a path (`..`, `../x.safetensors`, `/abs/x.safetensors`, `sub/x.safetensors`) or not a
 * .safetensors file would read outside the folder or fail with a raw filesystem error.
 */
function shardNameProblem(shard: unknown): string | undefined {
  if (typeof shard !== 'string') return 'which is not a file name (a string)';
  if (path.isAbsolute(shard) || path.win32.isAbsolute(shard)) return 'an absolute path, outside the folder';
  const parts = shard.split(/[\\/]/);
  if (parts.includes('..')) return 'which leads outside the folder';
  if (parts.length > 1) return 'which has a folder part';
  if (shard.includes('\0')) return 'which has a NUL character';
  if (!shard.endsWith('.safetensors')) return 'which does not end in .safetensors';
  return undefined;
}
