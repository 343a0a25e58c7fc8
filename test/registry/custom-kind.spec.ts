import { strict as assert } from 'assert';
import { IsPositive } from 'class-validator';
import {
  Component,
  ComponentConfig,
  ConfigClass,
  ConfigError,
  EarlyStoppingCallback,
  defineComponentKind,
  FactoryList,
  getComponentKind,
  register,
  RegistrationError,
  restoreRegistries,
  snapshotRegistries,
  validateRecipe,
} from '../../src';
import { TinyDataFactory, TinyModelFactory, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

/** Config of a user-declared kind, the `reward:` section. */
class RewardConfig extends ComponentConfig {
  /** Multiplies the reward. */
  @IsPositive()
  scale = 1;
}

abstract class RewardFactory extends Component<RewardConfig> {
  static override readonly kind: string = 'reward';
  static override readonly configType: ConfigClass = RewardConfig;
  abstract describeReward(): string;
}

function declareRewardKind(): void {
  defineComponentKind({
    name: 'reward',
    label: 'reward factory',
    baseConfig: RewardConfig,
    requiredMethods: ['describeReward'],
    trainerAttribute: 'rewardFactoryType',
    recipeSection: 'reward',
  });
}

describe('a component kind a trainer declares', () => {
  isolateRegistries();
  beforeEach(declareRewardKind);

  it('validates its recipe section against the trainer list like the built-in kinds', async () => {
    class MseRewardFactory extends RewardFactory {
      static override readonly type = 'mse';
      describeReward(): string {
        return `mse x${this.config.scale}`;
      }
    }
    class RewardTrainer extends TinyTrainer {
      static override readonly type = 'reward-tiny';
      static readonly rewardFactoryType: FactoryList = [MseRewardFactory];
    }
    register(MseRewardFactory);
    register(RewardTrainer);

    const { config } = await validateRecipe({ type: 'reward-tiny', reward: { scale: 2 } });
    const reward = (config as unknown as { reward: RewardConfig }).reward;
    assert.ok(reward instanceof RewardConfig);
    assert.equal(reward.type, 'mse');
    assert.equal(reward.scale, 2);

    await assert.rejects(validateRecipe({ type: 'reward-tiny', reward: { type: 'huber', scal: 2 } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, "Invalid recipe: reward.type 'huber' is not supported by trainer 'reward-tiny'. Supported: mse.");
      return true;
    });
    await assert.rejects(validateRecipe({ type: 'reward-tiny', reward: { scal: 2 } }), {
      message: "Invalid recipe: reward.scal: unknown key 'scal'. Did you mean 'scale'? Allowed: scale, type.",
    });
  });

  it('checks the new list at registration', () => {
    class UnregisteredLoss extends RewardFactory {
      static override readonly type = 'unregistered-reward';
      describeReward(): string {
        return '';
      }
    }
    class BadRewardTrainer extends TinyTrainer {
      static override readonly type = 'bad-reward-tiny';
      static readonly rewardFactoryType: FactoryList = [UnregisteredLoss];
    }
    assert.throws(
      () => register(BadRewardTrainer),
      (error: Error) => {
        assert.match(error.message, /^Cannot register trainer class BadRewardTrainer \(at \S*custom-kind\.spec\.js:\d+\):\n/);
        assert.equal(
          error.message.replace(/ \(at \S+\):/, ':'),
          [
            'Cannot register trainer class BadRewardTrainer:',
            '  - rewardFactoryType[0] UnregisteredLoss is not registered; decorate it with @register() or call register(UnregisteredLoss) first',
          ].join('\n'),
        );
        return true;
      },
    );
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
          "static optimiserFactoryType is not read by any component kind, so its list is ignored. Did you mean 'optimizerFactoryType'? For a kind of your own, declare it with defineComponentKind({ trainerAttribute: 'optimiserFactoryType', ... }).",
        ]);
        return true;
      },
    );
  });

  it('rejects a plural or misnamed list of components (dataFactoryTypes), which was accepted and silently ignored', () => {
    class PluralTrainer extends TinyTrainer {
      static override readonly type = 'plural-tiny';
      static readonly dataFactoryTypes: FactoryList = [TinyDataFactory];
      static readonly modelFactories: FactoryList = [TinyModelFactory];
      static readonly callbackTypes = [EarlyStoppingCallback];
      // A static of the trainer's own that holds no components and looks like no list: allowed.
      static readonly defaults = { lr: 1 };
    }
    assert.throws(
      () => register(PluralTrainer),
      (error: unknown) => {
        assert.ok(error instanceof RegistrationError);
        assert.deepEqual(
          error.problems.map((p) => p.replace(/ For a kind of your own.*/, '')),
          [
            "static dataFactoryTypes is not read by any component kind, so its list is ignored. Did you mean 'dataFactoryType'?",
            "static modelFactories is not read by any component kind, so its list is ignored. Did you mean 'modelFactoryType'?",
            "static callbackTypes is not read by any component kind, so its list is ignored. Did you mean 'callbackType'?",
          ],
        );
        return true;
      },
    );
  });

  it('forgets a kind declared after a snapshot when the snapshot is restored', () => {
    const saved = snapshotRegistries();
    declareRewardKind();
    assert.ok(getComponentKind('reward') !== undefined);
    restoreRegistries(saved);
    assert.equal(getComponentKind('reward'), undefined);
    assert.ok(getComponentKind('optimizer') !== undefined, 'built-in kinds stay');
  });
});

describe('defineComponentKind', () => {
  isolateRegistries();

  it('treats declaring the same kind again as a no-op', () => {
    declareRewardKind();
    const first = getComponentKind('reward');
    declareRewardKind();
    assert.equal(getComponentKind('reward'), first);
  });

  it('rejects a kind that would stand for one already declared, with every problem at once', () => {
    // A user's `loss` kind silently became the built-in one: their factories then failed with "does not extend LossConfig".
    class PenaltyConfig extends ComponentConfig {}
    assert.throws(
      () => defineComponentKind({ name: 'loss', label: 'penalty factory', baseConfig: PenaltyConfig, requiredMethods: [], trainerAttribute: 'optimizerFactoryType', recipeSection: 'scheduler' }),
      (error: unknown) => {
        assert.ok(error instanceof RegistrationError);
        assert.deepEqual(error.problems, [
          "name 'loss' is already the loss factory kind 'loss' (recipe section 'loss'); choose another name",
          "trainerAttribute 'optimizerFactoryType' is already the list of the optimizer factory kind 'optimizer' (recipe section 'optimizer'); choose another attribute",
          "recipeSection 'scheduler' is already the section of the scheduler factory kind 'scheduler' (recipe section 'scheduler'); choose another section",
        ]);
        return true;
      },
    );
    assert.equal(getComponentKind('loss')?.baseConfig.name, 'LossConfig', 'the built-in kind is untouched');
  });

  it('rejects a malformed kind declaration, naming each field', () => {
    assert.throws(
      () => defineComponentKind({ name: 'My Kind', label: '', baseConfig: class NotAConfig {} as unknown as ConfigClass, requiredMethods: [], trainerAttribute: 'myKindFactoryType' }),
      (error: unknown) => {
        assert.ok(error instanceof RegistrationError);
        assert.deepEqual(error.problems, [
          `name must be lowercase words joined by '-', like 'regularizer', got "My Kind"`,
          "label must be the kind in words, like 'regularizer factory'",
          'baseConfig must be a config class extending ComponentConfig',
          "trainerAttribute 'myKindFactoryType' needs a recipeSection: the recipe section whose 'type' picks from that list",
        ]);
        return true;
      },
    );
    assert.equal(getComponentKind('My Kind'), undefined);
  });
});

