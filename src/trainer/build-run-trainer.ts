import { container as rootContainer, DependencyContainer } from 'tsyringe';
import type { BackendInfo } from '../backend/backend-names';
import type { ResolvedRecipe } from '../config/validate-recipe';
import type { EvalDataFiles } from '../data/eval-data';
import type { Communicator } from '../distributed/communicator';
import type { Logger } from '../logging/logger';
import { RunContext, TOKENS } from './run-context';
import type { Trainer } from './trainer';

/**
 * The trainer a resolved recipe names, in a child DI container of its own (two runs in one process
 * never share components); not yet set up. The caller clears the container when done.
 */
export function buildRunTrainer(
  resolved: ResolvedRecipe,
  options: { logger: Logger; backend: BackendInfo; outputDir: string; communicator?: Communicator; evalData?: EvalDataFiles; inference?: boolean },
): { trainer: Trainer; container: DependencyContainer } {
  const { config } = resolved;
  const container = rootContainer.createChildContainer();
  const context: RunContext = { container, ...options, recipeDir: resolved.recipeDir, resolvedRecipe: resolved.resolved };
  container.registerInstance(TOKENS.config, config);
  container.registerInstance(TOKENS.logger, options.logger);
  container.registerInstance(TOKENS.backend, options.backend);
  container.registerInstance(TOKENS.context, context);
  const TrainerClass = resolved.trainerClass as unknown as new (c: typeof config, ctx: RunContext) => Trainer;
  container.register(TOKENS.trainer, { useFactory: () => new TrainerClass(config, context) });
  return { trainer: container.resolve<Trainer>(TOKENS.trainer), container };
}
