import { FloeCheckpointEngine } from '../checkpoint/floe-checkpoint-engine';
import { ResolvedRecipe, allowedClasses } from '../config/validate-recipe';
import { getComponentKind } from '../registry/component-kind';

/**
 * The `dir` of the recipe's floe engines (the first is the one a resume or an evaluation loads
 * with), relative to a run folder: where a run folder's checkpoints are looked for before any
 * trainer is built.
 */
export function floeCheckpointDirs(resolved: ResolvedRecipe): string[] {
  return floeEngineFolders(resolved).map((e) => e.dir);
}

/** A recipe's floe engine: its folder relative to the run folder, and whether it auto-resumes. */
export interface FloeEngineFolder {
  /** `dir`, or the engine class's default. */
  dir: string;
  /** The engine's `autoResume`. */
  autoResume: boolean;
}

/** The recipe's floe engines in recipe order (see {@link floeCheckpointDirs}), known before any is built. */
export function floeEngineFolders(resolved: ResolvedRecipe): FloeEngineFolder[] {
  const kind = getComponentKind('checkpoint');
  if (kind === undefined) return [];
  const classes = allowedClasses(resolved.trainerClass, kind);
  return resolved.config.checkpoint.flatMap((c) => {
    const cls = classes.find((k) => k.type === c.type) as unknown as typeof FloeCheckpointEngine | undefined;
    const isFloe = cls !== undefined && (cls === FloeCheckpointEngine || cls.prototype instanceof FloeCheckpointEngine);
    return isFloe ? [{ dir: c.dir ?? cls.defaultDir, autoResume: (c as { autoResume?: unknown }).autoResume === true }] : [];
  });
}
