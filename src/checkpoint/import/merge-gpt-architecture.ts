import { ConfigError, ConfigIssue } from '../../errors';
import { GPT_ARCHITECTURE_KEYS, GptArchitecture, GptSource } from './gpt-source';

/** Options of {@link mergeGptArchitecture}. */
export interface MergeGptArchitectureOptions {
  /** Architecture fields as the recipe's model section has them (defaults filled in). */
  recipe: GptArchitecture;
  /** The model config's defaults: a recipe value equal to its default counts as not set. */
  defaults: GptArchitecture;
  /** The source whose architecture wins. */
  source: GptSource;
  /** Config path of the model section in messages. Default `model`. */
  configPath?: string;
}

/** Equal values; objects (`ropeScaling`) by their JSON, as model-config.json stores them. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  const canonical = (x: object): string => JSON.stringify(Object.fromEntries(Object.entries(x).sort(([k1], [k2]) => (k1 < k2 ? -1 : 1))));
  return canonical(a) === canonical(b);
}

/**
 * The architecture of a model loaded `from:` a source: every field the source defines comes from
 * the source; the recipe fills in the rest. A recipe field that differs both from its default and
 * from the source's value is a contradiction, reported as a {@link ConfigError} listing each one.
 * (A field written out with exactly its default value cannot be told from an unset one, so it
 * silently follows the source.)
 */
export function mergeGptArchitecture(options: MergeGptArchitectureOptions): GptArchitecture {
  const { recipe, defaults, source } = options;
  const configPath = options.configPath ?? 'model';
  const merged: Record<string, unknown> = { ...recipe };
  const issues: ConfigIssue[] = [];
  for (const key of GPT_ARCHITECTURE_KEYS) {
    const theirs = source.architecture[key];
    if (theirs === undefined) {
      // A rotary source without scaling (HF's rope_scaling null) says "none": a recipe's scaling would change its positions.
      const unscaled = key === 'ropeScaling' && source.architecture.position === 'rope' && recipe.ropeScaling !== undefined;
      if (unscaled) issues.push(noScalingIssue(recipe.ropeScaling, source, configPath));
      continue;
    }
    const mine = recipe[key];
    if (mine !== undefined && !sameValue(mine, defaults[key]) && !sameValue(mine, theirs)) {
      const field = source.fieldNames[key];
      issues.push({
        path: `${configPath}.${key}`,
        message: `is ${JSON.stringify(mine)} but ${source.configFile} says ${JSON.stringify(theirs)}${field === undefined ? '' : ` (${field})`}`,
        hint: `With 'from', the architecture comes from the source: remove ${configPath}.${key} or set it to ${JSON.stringify(theirs)}.`,
      });
    }
    merged[key] = theirs;
  }
  if (issues.length > 0) throw new ConfigError(issues, `The recipe contradicts the model it loads from ${source.dir}`);
  return merged as GptArchitecture;
}

/** The recipe's `ropeScaling` on a rotary source that has none. */
function noScalingIssue(mine: unknown, source: GptSource, configPath: string): ConfigIssue {
  const field = source.fieldNames.ropeScaling;
  return {
    path: `${configPath}.ropeScaling`,
    message: `is ${JSON.stringify(mine)} but ${source.configFile} has no RoPE scaling${field === undefined ? '' : ` (${field} null or absent)`}, and its weights were trained without it`,
    hint: `With 'from', the architecture comes from the source: remove ${configPath}.ropeScaling.`,
  };
}
