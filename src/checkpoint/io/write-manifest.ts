import { promises as fs } from 'fs';
import * as path from 'path';
import { atomicWriteFile } from './atomic-write-file';
import { sha256File } from './sha256-file';

/** File name of a checkpoint folder's manifest. */
export const MANIFEST_FILE_NAME = 'manifest.json';

/** One file listed in a manifest. */
export interface ManifestEntry {
  /** Path relative to the manifest's folder, `/`-separated. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Lower-case hex sha256 of the content. */
  sha256: string;
}

/** Content of `manifest.json`: every file of a checkpoint folder with its size and checksum. */
export interface CheckpointManifest {
  /** Format marker, always `floe-manifest`. */
  format: 'floe-manifest';
  /** Format version. */
  version: 1;
  /** Listed files, sorted by path. */
  files: ManifestEntry[];
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else if (entry.isFile() && child !== MANIFEST_FILE_NAME) out.push(child);
  }
  return out;
}

/** Lists every file under `dir` (except the manifest itself) with its size and sha256. */
export async function buildManifest(dir: string): Promise<CheckpointManifest> {
  const files = (await listFiles(dir)).sort();
  const entries: ManifestEntry[] = [];
  for (const rel of files) {
    const full = path.join(dir, ...rel.split('/'));
    const { size } = await fs.stat(full);
    entries.push({ path: rel, size, sha256: await sha256File(full) });
  }
  return { format: 'floe-manifest', version: 1, files: entries };
}

/**
 * Writes `manifest.json` into `dir` listing every other file in it. Call it last, once the folder's
 * content is final (typically inside {@link writeDirAtomically}).
 */
export async function writeManifest(dir: string): Promise<CheckpointManifest> {
  const manifest = await buildManifest(dir);
  await atomicWriteFile(path.join(dir, MANIFEST_FILE_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
