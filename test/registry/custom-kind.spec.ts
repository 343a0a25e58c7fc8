import { strict as assert } from 'assert';
import { IsPositive } from 'class-validator';
import {
  Component,
  ComponentConfig,
  ConfigClass,
  ConfigError,
  defineComponentKind,
  FactoryList,
  getComponentKind,
  register,
  RegistrationError,
  restoreRegistries,
  snapshotRegistries,
  validateRecipe,
} from '../../src';
import { TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

/** Config of a user-declared kind, the `loss:` section. */
class LossConfig extends ComponentConfig {
  /** Multiplies the loss. */
  @IsPositive()
  scale = 1;
}

abstract class LossFactory extends Component<LossConfig> {
  static override readonly kind: string = 'loss';
  static override readonly configType: ConfigClass = LossConfig;
  abstract describeLoss(): string;
}

function declareLossKind(): void {
  defineComponentKind({
    name: 'loss',
    label: 'loss factory',
    baseConfig: LossConfig,
    requiredMethods: ['describeLoss'],
    trainerAttribute: 'lossFactoryType',
    recipeSection: 'loss',
  });
}

describe('a component kind a trainer declares', () => {
  isolateRegistries();
  beforeEach(declareLossKind);

  it('validates its recipe section against the trainer list like the built-in kinds', async () => {
    class MseLossFactory extends LossFactory {
      static override readonly type = 'mse';
      describeLoss(): string {
        return `mse x${this.config.scale}`;
      }
    }
    class LossTrainer extends TinyTrainer {
      static override readonly type = 'loss-tiny';
      static readonly lossFactoryType: FactoryList = [MseLossFactory];
    }
    register(MseLossFactory);
    register(LossTrainer);

    const { config } = await validateRecipe({ type: 'loss-tiny', loss: { scale: 2 } });
    const loss = (config as unknown as { loss: LossConfig }).loss;
    assert.ok(loss instanceof LossConfig);
    assert.equal(loss.type, 'mse');
    assert.equal(loss.scale, 2);

    await assert.rejects(validateRecipe({ type: 'loss-tiny', loss: { type: 'huber', scal: 2 } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, "Invalid recipe: loss.type 'huber' is not supported by trainer 'loss-tiny'. Supported: mse.");
      return true;
    });
    await assert.rejects(validateRecipe({ type: 'loss-tiny', loss: { scal: 2 } }), {
      message: "Invalid recipe: loss.scal: unknown key 'scal'. Did you mean 'scale'? Allowed: scale, type.",
    });
  });

  it('checks the new list at registration', () => {
    class UnregisteredLoss extends LossFactory {
      static override readonly type = 'unregistered-loss';
      describeLoss(): string {
        return '';
      }
    }
    class BadLossTrainer extends TinyTrainer {
      static override readonly type = 'bad-loss-tiny';
      static readonly lossFactoryType: FactoryList = [UnregisteredLoss];
    }
    assert.throws(() => register(BadLossTrainer), {
      message: [
        'Cannot register trainer class BadLossTrainer:',
        '  - lossFactoryType[0] UnregisteredLoss is not registered; decorate it with @register() or call register(UnregisteredLoss) first',
      ].join('\n'),
    });
  });
});

describe('undeclared component kinds', () => {
  isolateRegistries();

  it('rejects a factory list attribute no kind declares, suggesting the closest', () => {
    class TypoTrainer extends TinyTrainer {
      static override readonly type = 'typo-tiny';
      static readonly optimiserFactoryType: FactoryList = [];
    }
    assert.throws(
      () => register(TypoTrainer),
      (error: unknown) => {
        assert.ok(error instanceof RegistrationError);
        assert.deepEqual(error.problems, [
          "static optimiserFactoryType names no declared component kind; declare it with defineComponentKind({ trainerAttribute: 'optimiserFactoryType', ... }). Did you mean 'optimizerFactoryType'?",
        ]);
        return true;
      },
    );
  });

  it('forgets a kind declared after a snapshot when the snapshot is restored', () => {
    const saved = snapshotRegistries();
    declareLossKind();
    assert.ok(getComponentKind('loss') !== undefined);
    restoreRegistries(saved);
    assert.equal(getComponentKind('loss'), undefined);
    assert.ok(getComponentKind('optimizer') !== undefined, 'built-in kinds stay');
  });
});
