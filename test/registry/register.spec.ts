import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Type } from 'class-transformer';
import { Allow, IsString, ValidateNested } from 'class-validator';
import {
  AdamWConfig,
  Callback,
  CallbackConfig,
  DEFAULT_CALLBACK_METHODS,
  FactoryList,
  AdamWOptimizerFactory,
  getRegistry,
  MethodCallback,
  MethodCallbackEvent,
  ModelConfig,
  OptimizerConfig,
  OptimizerFactory,
  ParamOptimizer,
  register,
  RegistrationError,
  SgdOptimizerFactory,
  UnknownTypeError,
  validateComponentClass,
} from '../../src';
import { TinyBatch, TinyDataFactory, TinyModelFactory, TinyTrainer } from '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';

/** Runs `fn`, expecting a RegistrationError, and returns its problems. */
function registrationProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RegistrationError, `expected a RegistrationError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected registration to fail');
}

/** Captures console.warn while `fn` runs. */
function captureWarnings(fn: () => void): string[] {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  try {
    fn();
  } finally {
    console.warn = original;
  }
  return warnings;
}

/** A minimal valid optimizer factory body (the optimizer is never built in these tests). */
abstract class UnusedOptimizerFactory extends OptimizerFactory {
  createOptimizer(): ParamOptimizer {
    throw new Error('not built in registry tests');
  }
}

describe('register', () => {
  isolateRegistries();

  describe('valid classes', () => {
    it('registers a class with the @register() decorator under its type literal', () => {
      @register()
      class LionFactory extends UnusedOptimizerFactory {
        static override readonly type = 'lion';
      }
      assert.equal(getRegistry('optimizer').get('lion'), LionFactory);
    });

    it('registers a class with a plain register(cls) call, as JavaScript users do', () => {
      class PlainFactory extends UnusedOptimizerFactory {
        static override readonly type = 'plain';
      }
      assert.equal(register(PlainFactory), PlainFactory);
      assert.equal(getRegistry('optimizer').get('plain'), PlainFactory);
    });

    it('finds no problems in a valid class', () => {
      assert.deepEqual(validateComponentClass(TinyTrainer), []);
      assert.deepEqual(validateComponentClass(AdamWOptimizerFactory), []);
    });

    it('treats re-registering the same class as a no-op', () => {
      const before = getRegistry('data').types;
      const warnings = captureWarnings(() => {
        register(TinyDataFactory);
        register(TinyDataFactory, { override: true });
      });
      assert.deepEqual(getRegistry('data').types, before);
      assert.equal(getRegistry('data').get('tiny-regression'), TinyDataFactory);
      assert.deepEqual(warnings, []);
    });

    it('accepts a single class as a one-item factory list', () => {
      class SgdOnlyTrainer extends TinyTrainer {
        static override readonly type = 'sgd-only';
        static override readonly optimizerFactoryType = SgdOptimizerFactory;
      }
      assert.equal(register(SgdOnlyTrainer), SgdOnlyTrainer);
    });
  });

  describe('each rule', () => {
    it('rejects a class without its own static type literal', () => {
      class Inherits extends AdamWOptimizerFactory {}
      assert.deepEqual(registrationProblems(() => register(Inherits)), [
        "missing its own static 'type' literal, e.g. static readonly type = 'my-optimizer' (it inherits 'adamw' from its parent, which would collide)",
      ]);
    });

    it('rejects a type that is not a lowercase literal', () => {
      class Shouting extends UnusedOptimizerFactory {
        static override readonly type = 'AdamX';
      }
      assert.deepEqual(registrationProblems(() => register(Shouting)), [
        `static 'type' must be a lowercase literal like 'adamw' or 'inverse-sqrt', got "AdamX"`,
      ]);
    });

    it('rejects a type another class already holds', () => {
      class OtherAdamW extends UnusedOptimizerFactory {
        static override readonly type = 'adamw';
      }
      assert.deepEqual(registrationProblems(() => register(OtherAdamW)), [
        "type 'adamw' is already registered by class AdamWOptimizerFactory; choose another type or pass { override: true }",
      ]);
      assert.equal(getRegistry('optimizer').get('adamw'), AdamWOptimizerFactory);
    });

    it('names no registration site for a built-in when Floe is installed under node_modules', function () {
      this.timeout(20_000);
      // Floe's own frames are in node_modules there too: the built-in was said to be registered by the user's script.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-installed-'));
      try {
        const installed = path.join(dir, 'node_modules', 'floe');
        const distSrc = path.resolve(__dirname, '../../src');
        fs.cpSync(distSrc, path.join(installed, 'dist', 'src'), { recursive: true, filter: (f) => fs.statSync(f).isDirectory() || /\.(js|json)$/.test(f) });
        fs.writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: 'floe', main: 'dist/src/index.js' }));
        fs.symlinkSync(path.resolve(distSrc, '../../node_modules'), path.join(installed, 'node_modules'), 'dir');
        const script = [
          '// Deep enough to reach this script from inside Floe\'s own module loading.',
          'Error.stackTraceLimit = Infinity;',
          "const floe = require('floe');",
          "class Again extends floe.SgdOptimizerFactory {}",
          "Again.type = 'adamw';",
          'try { floe.register(Again); } catch (error) { console.log(error.problems[0]); }',
        ].join('\n');
        fs.writeFileSync(path.join(dir, 'script.js'), script);
        const run = spawnSync(process.execPath, ['script.js'], { cwd: dir, encoding: 'utf8', timeout: 15_000 });
        assert.equal(run.stdout.trim(), "type 'adamw' is already registered by class AdamWOptimizerFactory; choose another type or pass { override: true }", run.stderr);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("names where a plugin's class that holds the type was registered", () => {
      // Two plugins registering one type: the message named the first class but not which file it came from.
      class FirstLion extends UnusedOptimizerFactory {
        static override readonly type = 'lion';
      }
      register(FirstLion);
      class SecondLion extends UnusedOptimizerFactory {
        static override readonly type = 'lion';
      }
      const problems = registrationProblems(() => register(SecondLion));
      assert.equal(problems.length, 1);
      assert.match(problems[0], /^type 'lion' is already registered by class FirstLion \(registered at \S*test\/registry\/register\.spec\.js:\d+\); choose another type/);
    });

    it('names the line that decorates the class, not the __decorate helper tsc puts at the top of the file', () => {
      // Every decorated plugin class was reported "registered at plugin.js:20": the helper's line.
      @register()
      class DecoratedLion extends UnusedOptimizerFactory {
        static override readonly type = 'decorated-lion';
      }
      class OtherLion extends UnusedOptimizerFactory {
        static override readonly type = 'decorated-lion';
      }
      const problems = registrationProblems(() => register(OtherLion));
      const site = /registered at (\S+):(\d+)\)/.exec(problems[0]);
      assert.ok(site !== null && DecoratedLion !== undefined, problems[0]);
      const line = fs.readFileSync(path.resolve(site[1]), 'utf8').split('\n')[Number(site[2]) - 1];
      assert.match(line, /__decorate\(\[/, `line ${site[2]}: ${line}`);
      assert.doesNotMatch(line, /Reflect\.decorate/);
    });

    it('replaces a taken type with { override: true } and logs a warning', () => {
      let Replacement: Function | undefined;
      const warnings = captureWarnings(() => {
        @register({ override: true })
        class BetterAdamW extends UnusedOptimizerFactory {
          static override readonly type = 'adamw';
        }
        Replacement = BetterAdamW;
      });
      assert.equal(getRegistry('optimizer').get('adamw'), Replacement);
      assert.deepEqual(warnings, ["Floe: optimizer factory type 'adamw' (class AdamWOptimizerFactory) overridden by class BetterAdamW."]);
    });

    it('lets a trainer list a class whose type was overridden (the default lists name the built-ins)', () => {
      // Overriding adamw, then listing DEFAULT_FACTORY_LISTS.optimizer, said AdamWOptimizerFactory "is not registered".
      captureWarnings(() => {
        @register({ override: true })
        class LoudAdamW extends AdamWOptimizerFactory {
          static override readonly type = 'adamw';
        }
        void LoudAdamW;
      });
      class DefaultListsTrainer extends TinyTrainer {
        static override readonly type = 'default-lists-tiny';
        static override readonly optimizerFactoryType = [AdamWOptimizerFactory, SgdOptimizerFactory];
      }
      assert.deepEqual(validateComponentClass(DefaultListsTrainer), []);
      class NeverRegistered extends UnusedOptimizerFactory {
        static override readonly type = 'sgd';
      }
      class SameTypeTrainer extends TinyTrainer {
        static override readonly type = 'same-type-tiny';
        static override readonly optimizerFactoryType = [NeverRegistered];
      }
      assert.deepEqual(validateComponentClass(SameTypeTrainer), [
        'optimizerFactoryType[0] NeverRegistered is not registered; decorate it with @register() or call register(NeverRegistered) first',
      ]);
    });

    it('says a listed base class has no type to register, instead of asking to register it', () => {
      class BaseListTrainer extends TinyTrainer {
        static override readonly type = 'base-list-tiny';
        static override readonly optimizerFactoryType = [OptimizerFactory];
      }
      assert.deepEqual(registrationProblems(() => register(BaseListTrainer)), [
        'optimizerFactoryType[0] OptimizerFactory has no static type of its own, so it cannot be registered: list registered optimizer factory classes (AdamWOptimizerFactory, AdamOptimizerFactory, SgdOptimizerFactory, ...), or give it a type and register it',
      ]);
    });

    it('rejects a callback method that misspells a hook (it would never be called), and leaves other helpers alone', () => {
      class TypoHooks extends Callback {
        static override readonly type = 'typo-hooks';
        override async onLog(): Promise<void> {}
        async onEvaluation(): Promise<void> {}
        async onSignalReceived(): Promise<void> {}
      }
      const problems = registrationProblems(() => register(TypoHooks));
      assert.equal(problems.length, 1);
      assert.match(problems[0], /^method onEvaluation\(\) is not a hook, so it is never called\. Did you mean 'onEvaluate'\? Hooks: onTrainBegin, .*onSave\.$/);
    });

    it('rejects a misspelt or mistyped register option instead of ignoring it', () => {
      class Overriding extends UnusedOptimizerFactory {
        static override readonly type = 'overriding';
      }
      const options = { overide: true, override: 'yes' } as unknown as { override: boolean };
      assert.deepEqual(registrationProblems(() => register(Overriding, options)), [
        "unknown register option 'overide'; options: override. Did you mean 'override'?",
        'option override must be true or false, got "yes"',
      ]);
      assert.equal(getRegistry('optimizer').find('overriding'), undefined);
    });

    it('rejects a config class that does not extend the kind base config', () => {
      class WrongConfig extends UnusedOptimizerFactory {
        static override readonly type = 'wrong-config';
        static override readonly configType = ModelConfig;
      }
      assert.deepEqual(registrationProblems(() => register(WrongConfig)), ['configType ModelConfig does not extend OptimizerConfig']);
    });

    it("rejects a subclass whose config drops the parent's settings, which its inherited build method reads", () => {
      // AdamWOptimizerFactory.createOptimizer() reads betas and eps: with this config (TypeScript
      // refuses it, a JavaScript plugin does not) they were undefined at run time, a TypeError mid-setup.
      class BareConfig extends OptimizerConfig {}
      class MyAdamW extends AdamWOptimizerFactory {
        static override readonly type = 'my-adamw';
        static override readonly configType = BareConfig as unknown as typeof AdamWConfig;
      }
      assert.deepEqual(registrationProblems(() => register(MyAdamW)), [
        'configType BareConfig does not extend AdamWConfig, the config of its parent class AdamWOptimizerFactory, whose inherited methods read those settings; extend AdamWConfig instead',
      ]);
      class MoreConfig extends AdamWConfig {}
      class MyOtherAdamW extends AdamWOptimizerFactory {
        static override readonly type = 'my-other-adamw';
        static override readonly configType = MoreConfig;
      }
      assert.equal(register(MyOtherAdamW), MyOtherAdamW, 'a config extending the parent config is fine');
    });

    it('rejects a config field no recipe can set, because it has no validator', () => {
      // The field showed in code, yet `lrDecay: 0.5` in a recipe was "unknown key 'lrDecay'".
      class HalfDecoratedConfig extends OptimizerConfig {
        /** Decay per step (forgot its validator). */
        lrDecay = 0.9;

        /** Validated: settable. */
        @IsString()
        label = 'x';
      }
      class HalfDecorated extends UnusedOptimizerFactory {
        static override readonly type = 'half-decorated';
        static override readonly configType = HalfDecoratedConfig;
      }
      assert.deepEqual(registrationProblems(() => register(HalfDecorated)), [
        "configType HalfDecoratedConfig field 'lrDecay' has no validator, so a recipe cannot set it (it would be an unknown key); add one, e.g. @IsNumber(), or @Allow() for a free-form value",
      ]);
    });

    it("rejects a nested config class's field without a validator, which took any key silently", () => {
      // `retry: { attempts: 5, bogus: 1 }` validated and trained: nothing checked the nested keys.
      class Retry {
        attempts = 3;
        @IsString()
        mode = 'exponential';
      }
      class RetryConfig extends OptimizerConfig {
        /** Nested settings. */
        @ValidateNested()
        @Type(() => Retry)
        retry = new Retry();
        /** A free-form object is not a nested config: not inspected. */
        @Allow()
        extra: Record<string, unknown> = { any: 1 };
        /** Nor is a class instance without @ValidateNested() (its indices are no settings). */
        @Allow()
        table = new Float32Array(2);
      }
      class NestedRetry extends UnusedOptimizerFactory {
        static override readonly type = 'nested-retry';
        static override readonly configType = RetryConfig;
      }
      assert.deepEqual(registrationProblems(() => register(NestedRetry)), [
        "configType RetryConfig field 'retry.attempts' has no validator, so a recipe cannot set it (it would be an unknown key); add one, e.g. @IsNumber(), or @Allow() for a free-form value",
      ]);
    });

    it('rejects a configType that is not a class, naming what it is', () => {
      class ObjectConfig extends UnusedOptimizerFactory {
        static override readonly type = 'object-config';
        static override readonly configType = { lr: 1 } as unknown as typeof OptimizerConfig;
      }
      assert.deepEqual(registrationProblems(() => register(ObjectConfig)), ['configType must be a config class extending OptimizerConfig, got an object']);
    });

    it('rejects a class missing a required method', () => {
      // What a JavaScript user gets when they forget createOptimizer().
      class NoCreate extends (OptimizerFactory as unknown as new () => object) {
        static readonly type = 'no-create';
      }
      assert.deepEqual(registrationProblems(() => register(NoCreate)), ['missing required method createOptimizer()']);
    });

    it('rejects a value that is not a class, as a mistyped JavaScript import gives', () => {
      assert.deepEqual(
        registrationProblems(() => register(undefined as unknown as Function)),
        ['expected a class, register(MyClass), or options, @register({ override: true }); got undefined'],
      );
    });

    it('rejects a class that extends no component base class', () => {
      class Lonely {
        static readonly type = 'lonely';
      }
      const problems = registrationProblems(() => register(Lonely));
      assert.equal(problems.length, 1);
      assert.match(problems[0], /^it does not extend a component base class \(no known static 'kind'\); extend one of: .*optimizer factory/);
    });

    it('rejects a factory list entry of the wrong kind', () => {
      class WrongKindTrainer extends TinyTrainer {
        static override readonly type = 'wrong-kind';
        static override readonly optimizerFactoryType = [TinyModelFactory];
      }
      assert.deepEqual(registrationProblems(() => register(WrongKindTrainer)), [
        'optimizerFactoryType[0] TinyModelFactory is a model factory, expected an optimizer factory',
      ]);
    });

    it('rejects a factory list entry that is not a class', () => {
      class StringEntryTrainer extends TinyTrainer {
        static override readonly type = 'string-entry';
        static override readonly optimizerFactoryType = [AdamWOptimizerFactory, 'sgd' as unknown as Function];
      }
      assert.deepEqual(registrationProblems(() => register(StringEntryTrainer)), [
        "optimizerFactoryType[1] is the string 'sgd', expected an optimizer factory class: list SgdOptimizerFactory (the class registered as 'sgd'), not its recipe type",
      ]);
    });

    it('says what a factory list expects in place of undefined (an import cycle), a number or an unknown string', () => {
      class HolesTrainer extends TinyTrainer {
        static override readonly type = 'holes';
        static override readonly optimizerFactoryType = [AdamWOptimizerFactory, undefined, 3, 'adamx'] as unknown as FactoryList;
      }
      const problems = registrationProblems(() => register(HolesTrainer));
      assert.equal(problems.length, 3);
      assert.equal(
        problems[0],
        'optimizerFactoryType[1] is undefined, expected an optimizer factory class: check its import (a misspelt name, or an import cycle that leaves the class undefined while its module loads)',
      );
      assert.equal(problems[1], 'optimizerFactoryType[2] is not a class (got number), expected an optimizer factory class');
      assert.match(problems[2], /^optimizerFactoryType\[3\] is the string 'adamx', expected an optimizer factory class \(registered: .*AdamWOptimizerFactory.*SgdOptimizerFactory.*\)$/);
    });

    it('rejects a factory list entry that is not registered', () => {
      class UnregisteredSgd extends UnusedOptimizerFactory {
        static override readonly type = 'unregistered-sgd';
      }
      class UsesUnregistered extends TinyTrainer {
        static override readonly type = 'uses-unregistered';
        static override readonly optimizerFactoryType = [AdamWOptimizerFactory, UnregisteredSgd];
      }
      assert.deepEqual(registrationProblems(() => register(UsesUnregistered)), [
        'optimizerFactoryType[1] UnregisteredSgd is not registered; decorate it with @register() or call register(UnregisteredSgd) first',
      ]);
    });

    it('rejects an empty factory list', () => {
      class NoSchedulers extends TinyTrainer {
        static override readonly type = 'no-schedulers';
        static override readonly schedulerFactoryType = [];
      }
      assert.deepEqual(registrationProblems(() => register(NoSchedulers)), [
        'schedulerFactoryType is empty; list at least one scheduler factory (the first is the default)',
      ]);
    });

    it("checks a trainer's callbackType: callback classes whose default config is valid", () => {
      // Found only when the run built its callbacks, or never: the required setting was just undefined.
      class PathConfig extends CallbackConfig {
        /** Where to write. */
        @IsString()
        path!: string;
      }
      class NeedsPath extends Callback<PathConfig> {
        static override readonly type = 'needs-path';
        static override readonly configType = PathConfig;
      }
      class Fine extends Callback {
        static override readonly type = 'fine';
      }
      class CallbackTrainer extends TinyTrainer {
        static override readonly type = 'callback-tiny';
        static override readonly callbackType = [Fine, NeedsPath, SgdOptimizerFactory, 'progress'] as unknown as FactoryList;
      }
      assert.deepEqual(registrationProblems(() => register(CallbackTrainer)), [
        "callbackType[1] NeedsPath is built with its default config, where path (path must be a string); give those settings defaults, or name the callback in recipes' callbacks: instead",
        'callbackType[2] SgdOptimizerFactory is an optimizer factory, expected a callback',
        "callbackType[3] is the string 'progress', expected a callback class: list ProgressCallback (the class registered as 'progress'), not its recipe type",
      ]);
    });

    it('rejects a method callback on an event no method has', () => {
      class TypoCallbacks extends TinyTrainer {
        static override readonly type = 'typo-callbacks';
        static override readonly callbacks: ReadonlyArray<[MethodCallbackEvent, MethodCallback]> = [['pre-lost', () => undefined]];
      }
      const problems = registrationProblems(() => register(TypoCallbacks));
      assert.equal(problems.length, 1);
      assert.match(problems[0], /^callbacks\[0\] event 'pre-lost' names no callback method \(pre-\/post- one of: loss, step, .*\)\. Did you mean 'pre-loss'\?$/);
    });

    it('rejects an async build method that Floe calls without await', () => {
      // The trainer's optimizer became a Promise: "applyGradients is not a function" at the first step.
      class AsyncOptimizerFactory extends SgdOptimizerFactory {
        static override readonly type = 'async-sgd';
        // @ts-expect-error: TypeScript refuses this override too; a JavaScript plugin does not.
        override async createOptimizer(): Promise<ParamOptimizer> {
          return super.createOptimizer();
        }
      }
      assert.deepEqual(registrationProblems(() => register(AsyncOptimizerFactory)), [
        'createOptimizer() must return its product itself, not a Promise: Floe calls it without await (remove async)',
      ]);
    });

    it('rejects a method callback on a listed method the trainer does not have', () => {
      // It failed only when the run constructed the trainer: "Trainer has no method 'score'".
      class ScoreCallbacks extends TinyTrainer {
        static override readonly type = 'score-callbacks';
        static override readonly callbackMethods = [...DEFAULT_CALLBACK_METHODS, 'score'];
        static override readonly callbacks: ReadonlyArray<[MethodCallbackEvent, MethodCallback]> = [['post-score', () => undefined]];
      }
      assert.deepEqual(registrationProblems(() => register(ScoreCallbacks)), [
        "callbacks[0] event 'post-score' names method score() of callbackMethods, which the trainer does not have",
      ]);
    });

    it('rejects an async loss and an async loss callback: they run inside the gradient tape', () => {
      // An async loss failed mid-training with tfjs's "The result y returned by f() must be a tensor".
      class AsyncLossTrainer extends TinyTrainer {
        static override readonly type = 'async-loss';
        static override readonly callbacks: ReadonlyArray<[MethodCallbackEvent, MethodCallback]> = [
          ['post-loss', async (_trainer: unknown, loss: unknown) => loss],
          ['post-step', async () => undefined],
        ];
        // @ts-expect-error: TypeScript refuses this override too; a JavaScript plugin does not.
        override async loss(batch: TinyBatch): Promise<tf.Scalar> {
          return super.loss(batch);
        }
      }
      assert.deepEqual(registrationProblems(() => register(AsyncLossTrainer)), [
        'loss() must be synchronous: it runs inside the gradient tape and returns a tf.Scalar, not a Promise (remove async, and read no data() inside it)',
        "callbacks[0] 'post-loss' runs inside the gradient tape with loss(), so it must be synchronous; its function is async",
      ]);
    });
  });

  describe('all at once', () => {
    it('reports every problem of a class in one error', () => {
      class Broken extends (OptimizerFactory as unknown as new () => object) {
        static readonly configType = ModelConfig;
      }
      let error: unknown;
      try {
        register(Broken);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof RegistrationError);
      // The class is named with the line that registered it, so a plugin file's classes are told apart.
      assert.match(error.message, /^Cannot register optimizer factory class Broken \(at \S*test\/registry\/register\.spec\.js:\d+\):\n/);
      assert.equal(
        error.message.replace(/ \(at \S+\):/, ':'),
        [
          'Cannot register optimizer factory class Broken:',
          "  - missing its own static 'type' literal, e.g. static readonly type = 'my-optimizer'",
          '  - configType ModelConfig does not extend OptimizerConfig',
          '  - missing required method createOptimizer()',
        ].join('\n'),
      );
    });

    it('reports every broken factory list of a trainer in one error', () => {
      class UnregisteredAdam extends UnusedOptimizerFactory {
        static override readonly type = 'unregistered-adam';
      }
      class ManyProblems extends TinyTrainer {
        static override readonly dataFactoryType = [];
        static override readonly modelFactoryType = [TinyDataFactory];
        static override readonly optimizerFactoryType = [UnregisteredAdam];
      }
      // Factory lists are checked in kind-declaration order; compare as sets.
      assert.deepEqual([...registrationProblems(() => register(ManyProblems))].sort(), [
        "missing its own static 'type' literal, e.g. static readonly type = 'my-trainer' (it inherits 'tiny' from its parent, which would collide)",
        'dataFactoryType is empty; list at least one data factory (the first is the default)',
        'modelFactoryType[0] TinyDataFactory is a data factory, expected a model factory',
        'optimizerFactoryType[0] UnregisteredAdam is not registered; decorate it with @register() or call register(UnregisteredAdam) first',
      ].sort());
    });
  });
});

describe('Registry.add', () => {
  isolateRegistries();

  it('refuses a taken type with a RegistrationError, as register() does', () => {
    class Taker extends UnusedOptimizerFactory {
      static override readonly type = 'adamw';
    }
    assert.deepEqual(
      registrationProblems(() => getRegistry('optimizer').add(Taker as never)),
      ["type 'adamw' is already registered by class AdamWOptimizerFactory; choose another type or pass { override: true }"],
    );
  });
});

describe('Registry.get', () => {
  it('says what was asked, where, the registered choices and did you mean', () => {
    assert.throws(
      () => getRegistry('optimizer').get('adamx', { path: 'optimizer.type', where: 'recipe.yaml:12:9' }),
      (error: unknown) => {
        assert.ok(error instanceof UnknownTypeError);
        assert.equal(
          error.message,
          "Unknown optimizer factory type 'adamx' at optimizer.type (recipe.yaml:12:9). Registered: adamw, adam, sgd. Did you mean 'adamw' or 'adam'?",
        );
        return true;
      },
    );
  });

  it('leaves out the suggestion when nothing is close', () => {
    assert.throws(() => getRegistry('optimizer').get('rmsprop'), {
      message: "Unknown optimizer factory type 'rmsprop'. Registered: adamw, adam, sgd.",
    });
  });
});
