import { ConfigError } from '../errors';

/**
 * Runs `build`, reporting a model's own ConfigError (its options, LoRA targets included, checked
 * against the final architecture: `from` may change it) at recipe paths (`model.lora.targets[1]`;
 * the run adds file:line:col): one checker for the API and recipes.
 */
export function atRecipePaths<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.issues.map((issue) => ({ ...issue, path: `model.${issue.path}` })));
    throw error;
  }
}
