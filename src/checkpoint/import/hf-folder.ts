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
 * @throws CheckpointError when there are none, or the index is unreadable or points outside the folder.
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
    if (typeof map !== 'object' || map === null) throw new CheckpointError(`Safetensors index '${index}' has no 'weight_map' object.`);
    const shards = [...new Set(Object.values(map))];
    if (shards.some((s) => typeof s !== 'string' || s.includes('/') || s.includes('\\'))) {
      throw new CheckpointError(`Safetensors index '${index}' names shard files outside its folder.`);
    }
    return shards.sort().map((s) => path.join(dir, s));
  }
  const hint = (await pathExists(path.join(dir, 'pytorch_model.bin'))) ? ' It has pytorch_model.bin only: save it as safetensors first (model.save_pretrained(dir, safe_serialization=True)).' : '';
  throw new CheckpointError(`HuggingFace folder '${dir}' has no model.safetensors (or model.safetensors.index.json).${hint}`);
}
