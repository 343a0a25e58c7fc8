import { promises as fs } from 'fs';
import * as path from 'path';
import { jsonErrorMessage, jsonErrorPosition } from '../../data/json-position';
import { CheckpointError } from '../../errors';
import { MANIFEST_FORMAT, formatProblems, showJsonValue } from '../file-format';
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
  const shape = listProblems((parsed as { files?: unknown }).files);
  if (shape.length > 0) {
    const listed = shape.length > MAX_LISTED ? [...shape.slice(0, MAX_LISTED), `and ${shape.length - MAX_LISTED} more`] : shape;
    throw new CheckpointError(`Checkpoint manifest '${file}' is malformed: ${listed.join('; ')}. Expected { files: [{ path, size, sha256 }] }: a relative path, a size in bytes and a 64-digit hex sha256 per file.`);
  }
  return parsed as CheckpointManifest;
}

/** Problems listed in a malformed-manifest message before the rest are counted. */
const MAX_LISTED = 5;

// Values shown as the format checks show them (a size of 1e400 reads Infinity, not JSON's null).
const show = (x: unknown): string => (x === undefined ? 'missing' : showJsonValue(x));

/** What is wrong with the manifest's `files` list, field by field (`files[2].size is "12", expected ...`); empty when well formed. */
function listProblems(files: unknown): string[] {
  if (!Array.isArray(files)) return [`files is ${show(files)}, expected a list`];
  return files.flatMap((e: unknown, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return [`files[${i}] is ${show(e)}, expected { path, size, sha256 }`];
    const x = e as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof x.path !== 'string' || x.path === '') problems.push(`files[${i}].path is ${show(x.path)}, expected a file path`);
    if (typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0) problems.push(`files[${i}].size is ${show(x.size)}, expected a whole number of bytes`);
    if (typeof x.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(x.sha256)) problems.push(`files[${i}].sha256 is ${show(x.sha256)}, expected 64 hex digits`);
    return problems;
  });
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
