import * as path from 'path';
import type { ConfigIssue } from '../errors';
import type { SourceMap } from '../config/source-map';
import type { CheckpointConfig } from './checkpoint-engine';

/** Where one checkpoint engine of a recipe writes. */
export interface CheckpointFolder {
  /** Config path of the engine's `dir` (`checkpoint[1].dir`). */
  path: string;
  /** The engine's type (`floe`). */
  type: string;
  /** Absolute folder: `dir` resolved against the run folder, or the engine's default. */
  dir: string;
  /** True when the recipe left `dir` unset (the engine's default folder). */
  isDefault: boolean;
}

/** An engine class as far as folders go: its type and the folder it writes when `dir` is unset. */
export interface EngineClassFolder {
  /** Registry key. */
  readonly type: string;
  /** Default folder relative to the run folder; undefined for engines with no folder of their own. */
  readonly defaultDir?: string;
}

/** Options of {@link checkpointFolders}. */
export interface CheckpointFoldersOptions {
  /** The recipe's checkpoint engine configs. */
  checkpoint: readonly CheckpointConfig[];
  /** The run folder, absolute. */
  outputDir: string;
  /** The trainer's checkpoint engine classes (for each type's default folder). */
  classes: readonly EngineClassFolder[];
  /** Recipe section of the engines (default `checkpoint`), for config paths. */
  section?: string;
}

/**
 * The folder each engine writes to, resolved against the run folder the way the engines resolve
 * it. Engines that set no `dir` and declare no default are left out.
 */
export function checkpointFolders(options: CheckpointFoldersOptions): CheckpointFolder[] {
  const section = options.section ?? 'checkpoint';
  const out: CheckpointFolder[] = [];
  options.checkpoint.forEach((config, i) => {
    const dir = config.dir ?? options.classes.find((c) => c.type === config.type)?.defaultDir;
    // A `dir` that is not a string is a validation issue of its own.
    if (typeof dir !== 'string') return;
    out.push({ path: `${section}[${i}].dir`, type: config.type, dir: path.resolve(options.outputDir, dir), isDefault: config.dir === undefined });
  });
  return out;
}

/**
 * One issue per engine whose folder another engine already uses: they would overwrite and prune
 * each other's `step-N` folders (a floe checkpoint replaced by an export cannot be resumed).
 * Path arithmetic only, no I/O.
 */
export function sharedFolderIssues(folders: readonly CheckpointFolder[], sourceMap?: SourceMap): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  folders.forEach((folder, i) => {
    const first = folders.slice(0, i).find((f) => samePath(f.dir, folder.dir));
    if (first === undefined) return;
    const whose = (f: CheckpointFolder): string => `${f.path.replace(/\.dir$/, '')} (${f.type}${f.isDefault ? ', its default dir' : ''})`;
    issues.push({
      path: folder.path,
      message: `${folder.path}: ${folder.dir} is the same folder as ${whose(first)}; engines sharing a folder overwrite and delete each other's step-N checkpoints`,
      location: sourceMap?.locate(folder.isDefault ? folder.path.replace(/\.dir$/, '') : folder.path),
      hint: `Give ${folder.path.replace(/\.dir$/, '')} its own dir (each engine needs a folder of its own).`,
    });
  });
  return issues;
}

// Case-insensitive file systems (macOS, Windows) treat `Checkpoints` and `checkpoints` as one folder.
function samePath(a: string, b: string): boolean {
  return process.platform === 'linux' ? a === b : a.toLowerCase() === b.toLowerCase();
}
