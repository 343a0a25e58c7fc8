import { IsPositive } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../config/component-config';
import { HumanNumber } from '../config/human-number';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { DecayFilter, makeDecayFilter, unmatchedNoDecay } from './decay-filter';
import { listSome } from './unmatched-patterns';
import { ParamOptimizer } from './param-optimizer';

/** Base config of optimizer factories (recipe section `optimizer:`). */
export class OptimizerConfig extends ComponentConfig {
  /** Peak learning rate; the scheduler scales it over the run. */
  @HumanNumber()
  @IsPositive()
  lr = 1e-3;
}

/** Builds the run's optimizer over the model's named weights. */
export abstract class OptimizerFactory<C extends OptimizerConfig = OptimizerConfig> extends Component<C> {
  static override readonly kind: string = 'optimizer';
  static override readonly configType: ConfigClass = OptimizerConfig;
  /** Builds the optimizer; `trainer.model` exists by then. */
  abstract createOptimizer(): ParamOptimizer;

  /**
   * The decay filter of a `noDecay` list, warning (once, on the main rank) about patterns that
   * match no weight of the model: they exempt nothing, which is easy to miss in a long run.
   */
  protected noDecayFilter(noDecay: readonly string[]): DecayFilter {
    const names = [...(this.trainer.model?.params?.keys() ?? [])];
    const unmatched = unmatchedNoDecay(noDecay, names);
    if (unmatched.length > 0 && names.length > 0 && this.trainer.dp.isMain) {
      const shown = listSome(names, 8);
      const which = unmatched.map((p) => `'${p}'`).join(', ');
      this.trainer.logger.warn(
        `optimizer.noDecay: ${which} ${unmatched.length === 1 ? 'matches' : 'match'} no weight of the model, so ${unmatched.length === 1 ? 'it exempts' : 'they exempt'} nothing from weight decay. ` +
          `Patterns are globs over whole weight names (* is any run, ? one character); the weights are: ${shown}.`,
      );
    }
    return makeDecayFilter({ noDecay });
  }
}

/** The optimizer factory kind: trainers list them in `optimizerFactoryType`. */
export const OPTIMIZER_KIND = defineComponentKind({
  name: 'optimizer',
  label: 'optimizer factory',
  baseConfig: OptimizerConfig,
  requiredMethods: ['createOptimizer'],
  synchronousMethods: ['createOptimizer'],
  trainerAttribute: 'optimizerFactoryType',
  recipeSection: 'optimizer',
});
