import type { Trainer } from '../trainer/trainer';
import { ComponentConfig, ConfigClass } from '../config/component-config';

/**
 * Base of every factory-like component: constructed with the trainer and its validated config,
 * it builds one product (`createOptimizer()`, `createModel()`, ...). Subclasses declare
 * `static readonly type = '...'` and `static readonly configType = ...`.
 */
export abstract class Component<C extends ComponentConfig = ComponentConfig> {
  /** The component kind; set by each kind's base class. */
  static readonly kind: string;
  /** Registry key and recipe word; each concrete class declares its own. */
  static readonly type: string;
  /** Config class of this component. */
  static readonly configType: ConfigClass = ComponentConfig;

  constructor(
    /** The trainer this component serves (run-wide things: seed, backend, logger, run folder). */
    readonly trainer: Trainer,
    /** This component's validated config section. */
    readonly config: C,
  ) {}
}
