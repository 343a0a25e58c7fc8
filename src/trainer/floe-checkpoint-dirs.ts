import { FloeCheckpointEngine } from '../checkpoint/floe-checkpoint-engine';
import { ResolvedRecipe, allowedClasses } from '../config/validate-recipe';
import { getComponentKind } from '../registry/component-kind';

/**
 * The `dir` of the recipe's floe engines (the first is the one a resume or an evaluation loads
 * with), relative to a run folder: where a run folder's checkpoints are looked for before any
 * trainer is built.
 */
export function floeCheckpointDirs(resolved: ResolvedRecipe): string[] {
  const kind = getComponentKind('checkpoint');
  if (kind === undefined) return [];
  const classes = allowedClasses(resolved.trainerClass, kind);
  return resolved.config.checkpoint.flatMap((c) => {
    const cls = classes.find((k) => k.type === c.type) as unknown as typeof FloeCheckpointEngine | undefined;
    const isFloe = cls !== undefined && (cls === FloeCheckpointEngine || cls.prototype instanceof FloeCheckpointEngine);
    return isFloe ? [c.dir ?? cls.defaultDir] : [];
  });
}
