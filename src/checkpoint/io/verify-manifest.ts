import { promises as fs } from 'fs';
import * as path from 'path';
import { jsonErrorMessage, jsonErrorPosition } from '../../data/json-position';
import { CheckpointError } from '../../errors';
import { MANIFEST_FORMAT, formatProblems } from '../file-format';
import { sha256File } from './sha256-file';
import { CheckpointManifest, MANIFEST_FILE_NAME, ManifestEntry } from './write-manifest';

async function readManifest(dir: string): Promise<CheckpointManifest> {
  const file = path.join(dir, MANIFEST_FILE_NAME);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new CheckpointError(`Checkpoint manifest '${file}' cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const at = jsonErrorPosition(text, err);
    const where = at === undefined ? file : `${file}:${at.line}:${at.col}`;
    throw new CheckpointError(`Checkpoint manifest '${where}' is not valid JSON: ${jsonErrorMessage(err)}`, { cause: err });
  }
  // A newer Floe's manifest may list files differently: check what wrote it before reading the list.
  const problems = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? formatProblems(parsed, MANIFEST_FORMAT) : [];
  if (problems.length > 0) throw new CheckpointError(`Checkpoint manifest '${file}': ${problems.join('; ')}.`);
  const files = (parsed as { files?: unknown })?.files;
  const wellFormed = Array.isArray(files) && files.every(isEntry);
  if (!wellFormed) {
    throw new CheckpointError(`Checkpoint manifest '${file}' is malformed: expected { files: [{ path, size, sha256 }] }.`);
  }
  return parsed as CheckpointManifest;
}

function isEntry(e: unknown): e is ManifestEntry {
  const x = e as ManifestEntry;
  return typeof x === 'object' && x !== null && typeof x.path === 'string' && typeof x.size === 'number' && typeof x.sha256 === 'string';
}

async function checkEntry(dir: string, entry: ManifestEntry): Promise<string | undefined> {
  // A manifest must not point outside its folder (a tampered or hand-edited file).
  if (entry.path.split('/').some((part) => part === '..' || part === '') || path.isAbsolute(entry.path)) {
    return `'${entry.path}': path escapes the checkpoint folder`;
  }
  const full = path.join(dir, ...entry.path.split('/'));
  let size: number;
  try {
    size = (await fs.stat(full)).size;
  } catch {
    return `'${entry.path}': file is missing`;
  }
  if (size !== entry.size) return `'${entry.path}': size is ${size} bytes, manifest says ${entry.size}`;
  const sha = await sha256File(full);
  if (sha !== entry.sha256.toLowerCase()) return `'${entry.path}': sha256 mismatch (file ${sha}, manifest ${entry.sha256})`;
  return undefined;
}

/**
 * Checks every file listed in `dir/manifest.json` exists with the listed size and sha256.
 * Throws one {@link CheckpointError} naming every bad file; returns the manifest when all match.
 */
export async function verifyManifest(dir: string): Promise<CheckpointManifest> {
  const manifest = await readManifest(dir);
  const problems: string[] = [];
  for (const entry of manifest.files) {
    const problem = await checkEntry(dir, entry);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) {
    const where = path.join(dir, MANIFEST_FILE_NAME);
    throw new CheckpointError(
      `Checkpoint '${dir}' failed verification against ${where}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return manifest;
}
