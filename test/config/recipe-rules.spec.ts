import { strict as assert } from 'assert';
import { ConfigError, CosineSchedulerConfig, CosineSchedulerFactory, Trainer, validateRecipe } from '../../src';
import { escapeRegExp, expectConfigError, useRecipeDir } from './recipe-dir';

/** A small valid language-model recipe; `extra` is merged over its top level. */
function lm(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'causal',
    data: { type: 'causal', sources: [{ type: 'synthetic', task: 'addition', output: 'text' }], maxLength: 32 },
    model: { type: 'gpt', layers: 1, heads: 2, dim: 16, maxLength: 32 },
    ...extra,
  };
}

/** Validates `recipe` with `--set` overrides, expecting exactly one issue, and returns it. */
async function oneIssue(recipe: Record<string, unknown>, overrides: string[] = []): Promise<{ path: string; message: string; error: ConfigError }> {
  const error = await expectConfigError(validateRecipe(recipe, { overrides }));
  assert.equal(error.issues.length, 1, error.message);
  return { path: error.issues[0].path, message: error.issues[0].message, error };
}

describe('recipe rules checked at validation', () => {
  const recipes = useRecipeDir();

  describe('rules across settings of one section', () => {
    it('heads must divide the model width, and give rope an even head size', async () => {
      const r = recipes();
      const file = r.write('recipe.yaml', ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'model:', '  type: gpt', '  heads: 4', '  dim: 130', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(file));
      assert.equal(error.message, `Invalid recipe: model.heads: 4 heads do not divide dim 130 evenly (each head gets dim / heads channels): choose heads among the divisors of dim (e.g. heads: 5), or a dim that is a multiple of 4 (${r.at('recipe.yaml', 5, 10)})`);
      const rope = await oneIssue(lm(), ['model.heads=4', 'model.dim=12', 'model.position=rope']);
      assert.equal(rope.path, 'model.heads');
      assert.match(rope.message, /rope .* head size dim \/ heads must be even, got 12 \/ 4 = 3/);
      await validateRecipe(lm(), { overrides: ['model.heads=4', 'model.dim=130', 'model.from=pretrained'] });
      const fractional = await oneIssue(lm(), ['model.dim=64.5']);
      assert.equal(fractional.path, 'model.dim', 'a fractional dim is reported once, at dim');
    });

    it('sgd nesterov needs momentum and no dampening', async () => {
      const none = await oneIssue(lm({ optimizer: { type: 'sgd', nesterov: true } }));
      assert.equal(none.path, 'optimizer.nesterov');
      assert.equal(none.message, 'true needs momentum > 0 (got 0): set momentum: 0.9, or nesterov: false');
      const damped = await oneIssue(lm({ optimizer: { type: 'sgd', nesterov: true, momentum: 0.9, dampening: 0.5 } }));
      assert.equal(damped.message, 'true needs dampening 0 (got 0.5): set dampening: 0, or nesterov: false');
      await validateRecipe(lm({ optimizer: { type: 'sgd', nesterov: true, momentum: 0.9 } }));
    });

    it('a synthetic source needs min <= max and an alphabet without the prompt end', async () => {
      const digits = await oneIssue(lm(), ['data.sources[0].minDigits=5', 'data.sources[0].maxDigits=2']);
      assert.equal(digits.path, 'data.sources[0].maxDigits');
      assert.equal(digits.message, 'must be at least minDigits (5), got 2: the generator draws from minDigits..maxDigits');
      const error = await expectConfigError(validateRecipe(lm(), { overrides: ['data.sources[0]={type: synthetic, task: reverse, minLength: 9, maxLength: 3, alphabet: "ab>"}'] }));
      assert.deepEqual(
        error.issues.map((i) => i.path),
        ['data.sources[0].maxLength', 'data.sources[0].alphabet'],
      );
      const empty = await oneIssue(lm(), ['data.sources[0].alphabet=""']);
      assert.match(empty.message, /^is empty: give the characters/);
    });

    it('settings that give one length two ways may not both be set, and null drops one', async () => {
      const warmup = await oneIssue(lm({ scheduler: { type: 'cosine', warmupSteps: 10, warmupRatio: 0.1 } }));
      assert.equal(warmup.path, 'scheduler.warmupRatio');
      assert.match(warmup.message, /^give warmupSteps \(10\) or warmupRatio \(0\.1\), not both/);
      const decay = await oneIssue(lm({ scheduler: { type: 'wsd', decaySteps: 10, decayRatio: 0.2 } }));
      assert.equal(decay.path, 'scheduler.decayRatio');
      assert.match(decay.message, /^give decaySteps \(10\) or decayRatio \(0\.2\), not both/);
      const phases = await oneIssue(lm({ scheduler: { type: 'wsd', warmupRatio: 0.9, decayRatio: 0.2 } }));
      assert.match(phases.message, /warmupRatio \(0\.9\) \+ decayRatio \(0\.2\) is more than the whole run/);
      // A value that also breaks its own range gets both, each its own clause (they were joined with "and", the rule's "got" cut).
      const both = await oneIssue(lm({ scheduler: { type: 'cosine', warmupSteps: 10, warmupRatio: 1.5 } }));
      assert.equal(
        both.message,
        'must not be greater than 1, got 1.5; give warmupSteps (10) or warmupRatio (1.5), not both: both set the same length, warmupSteps in optimizer steps and warmupRatio as a share of the training steps (to drop one that an extended recipe sets, set it to null)',
      );
      const dropped = await validateRecipe(lm({ scheduler: { type: 'cosine', warmupSteps: 10 } }), { overrides: ['scheduler.warmupSteps=null', 'scheduler.warmupRatio=0.1'] });
      assert.equal(dropped.config.scheduler.warmupRatio, 0.1);
    });
  });

  describe('rules across sections', () => {
    it('a warmup must end by an explicit trainIters; with epochs or a percentage it waits for the data', async () => {
      const r = recipes();
      const file = r.write('recipe.yaml', ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'scheduler:', '  type: cosine', '  warmupSteps: 50', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(file, { overrides: ['trainIters=20'] }));
      assert.equal(
        error.message,
        'Invalid recipe: trainIters: is 20, but scheduler.warmupSteps is 50: the warmup is longer than training (at most 20 steps); lower scheduler.warmupSteps or raise trainIters (--set trainIters=20)',
      );
      assert.match((await expectConfigError(validateRecipe(file, { overrides: ['trainIters=49'] }))).message, /trainIters: is 49, but scheduler\.warmupSteps is 50/);
      // A warmup over all of training only raises the rate: allowed.
      await validateRecipe(file, { overrides: ['trainIters=50'] });
      await validateRecipe(file, { overrides: ['trainIters=10%'] });
      await validateRecipe(file);
      const wsd = await oneIssue(lm({ trainIters: 20, scheduler: { type: 'wsd', warmupSteps: 10, decaySteps: 15 } }));
      assert.equal(wsd.message, "is 20, but the scheduler's phases take 25 steps (scheduler.warmupSteps 10 + decaySteps 15); shorten them or raise trainIters");
    });

    it("the model's maxLength must hold the data's rows (unless the model comes from pretrained weights)", async () => {
      const short = await oneIssue(lm(), ['model.maxLength=16']);
      assert.equal(short.path, 'model.maxLength');
      assert.match(short.message, /^is 16 but data\.maxLength is 32: the model must accept the longest training row/);
      await validateRecipe(lm(), { overrides: ['model.maxLength=16', 'model.from=pretrained'] });
    });
  });

  describe('numbers', () => {
    it('refuses non-finite numbers at the setting itself, with one message naming Infinity or NaN', async () => {
      const r = recipes();
      const file = r.write('recipe.yaml', ['type: causal', 'data: { sources: [{ type: synthetic }] }', 'optimizer:', '  lr: .inf', 'epochs: 1e400', 'maxGradNorm: .inf', 'model: { dropout: .nan }', ''].join('\n'));
      const error = await expectConfigError(validateRecipe(file));
      assert.deepEqual(
        error.issues.map((i) => `${i.path}: ${i.message} @${i.location?.line}:${i.location?.col}`).sort(),
        [
          'epochs: must be a finite number, got Infinity @5:9',
          'maxGradNorm: must be a finite number, got Infinity @6:14',
          'model.dropout: must be a finite number, got NaN @7:19',
          'optimizer.lr: must be a finite number, got Infinity @4:7',
        ],
      );
      const betas = await expectConfigError(validateRecipe(lm({ optimizer: { betas: [Infinity, 0.9] } })));
      assert.deepEqual(
        betas.issues.map((i) => `${i.path}: ${i.message}`),
        ['optimizer.betas[0]: must be a finite number, got Infinity'],
      );
      const human = await oneIssue(lm(), ['trainIters=2^2000']);
      assert.equal(human.message, 'must be a finite number, got Infinity');
    });

    it('refuses whole numbers beyond 2^53 - 1 and sizes beyond their bound', async () => {
      const seed = await oneIssue(lm(), ['seed=99999999999999999999']);
      assert.equal(seed.message, 'must be a whole number no larger than 2^53 − 1 (9007199254740991, beyond which numbers are not exact), got 100000000000000000000');
      const batch = await oneIssue(lm(), ['microBatchSize=2^100']);
      assert.equal(batch.message, 'must be a whole number no larger than 2^53 − 1 (9007199254740991, beyond which numbers are not exact), got 1.2676506002282294e+30');
      const dim = await oneIssue(lm(), ['model.dim=1e12']);
      assert.equal(dim.message, 'must be a whole number from 1 to 65536 (like 100, 1k, 2.5M, 2^10), got 1000000000000');
      await validateRecipe(lm(), { overrides: [`microBatchSize=${Number.MAX_SAFE_INTEGER}`] });
    });

    it('refuses more than one thread for wasm and cpu at validation, and leaves auto to the backend start', async () => {
      const wasm = await oneIssue(lm({ backend: { name: 'wasm', threads: 2 } }));
      assert.equal(wasm.path, 'backend.threads');
      assert.match(wasm.message, /^is 2, but the wasm backend runs on one thread under Node .*distributed: \{ workers: auto \}/);
      assert.equal((await oneIssue(lm({ backend: { name: 'cpu', threads: 4 } }))).path, 'backend.threads');
      await validateRecipe(lm({ backend: { name: 'auto', threads: 4 } }));
      await validateRecipe(lm({ backend: { name: 'wasm', threads: 1 } }));
    });

    it("keeps seeds within the generator's 32 bits (2^32 would repeat seed 0's stream)", async () => {
      const seed = await oneIssue(lm(), ['seed=4294967296']);
      assert.equal(seed.path, 'seed');
      assert.equal(seed.message, 'must not be greater than 4294967295, got 4294967296');
      const source = await oneIssue(lm({ type: 'supervised', data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'spirals', seed: 2 ** 32 }] }, model: { type: 'mlp' } }));
      assert.equal(source.path, 'data.sources[0].seed');
      await validateRecipe(lm(), { overrides: ['seed=4294967295'] });
    });

    it('gives a missing required path one message', async () => {
      const missing = await oneIssue(lm({ tokenizer: { type: 'hf' } }));
      assert.equal(`${missing.path}: ${missing.message}`, 'tokenizer.path: must be a path (a non-empty string) (missing)');
    });

    it('says what a missing list setting takes, not the item and list rules it broke at once', async () => {
      const csv = { type: 'supervised', data: { type: 'tabular', sources: [{ type: 'csv', targets: ['y'] }] }, model: { type: 'mlp' } };
      const error = await expectConfigError(validateRecipe(lm(csv)));
      assert.deepEqual(
        error.issues.map((i) => `${i.path}: ${i.message}`),
        [
          "data.sources[0].paths: missing 'paths', which is required: list of non-empty string (at least 1); a single item may be written alone",
          "data.sources[0].features: missing 'features', which is required: list of non-empty string (at least 1)",
        ],
      );
      const text = await oneIssue(lm({ data: { type: 'causal', sources: [{ type: 'text' }], maxLength: 32 } }));
      assert.equal(`${text.path}: ${text.message}`, "data.sources[0].paths: missing 'paths', which is required: list of non-empty string (at least 1); a single item may be written alone");
    });

    it("says 'missing' once when a rule's own text starts with it", async () => {
      const spirals = { type: 'synthetic-tabular', generator: 'spirals' };
      const layers = await oneIssue(lm({ type: 'supervised', data: { type: 'tabular', sources: [spirals] }, model: { type: 'layers' } }));
      assert.equal(layers.message, "missing: give 'layers: [...]' (a list of tf.layers, e.g. { type: dense, units: 32 }) or 'modelJson: path/to/model.json'");
    });
  });

  describe('paths', () => {
    it('refuses empty and blank path settings, naming the setting', async () => {
      const cases: Array<[string, string]> = [
        ["outputDir=''", 'outputDir'],
        ["killSwitchFile='  '", 'killSwitchFile'],
        ["tokenizer={type: hf, path: ''}", 'tokenizer.path'],
        ["model.from=''", 'model.from'],
        ["data.cacheDir=''", 'data.cacheDir'],
        ["callbacks=[{type: kill-switch, file: ''}]", 'callbacks[0].file'],
      ];
      for (const [set, at] of cases) {
        const issue = await oneIssue(lm(), [set]);
        assert.equal(issue.path, at, set);
        assert.match(issue.message, /^must name a file or folder, got "\s*" \(an empty path would be the folder it is relative to\)$/, set);
        assert.match(issue.error.message, new RegExp(`\\(--set ${escapeRegExp(set)}\\)$`));
      }
      const list = await oneIssue(lm(), ["data.sources[0]={type: text, paths: [a.txt, '']}"]);
      assert.equal(`${list.path}: ${list.message}`, 'data.sources[0].paths: paths[1] must name a file or folder, got "" (an empty path would be the folder it is relative to)');
    });
  });
});

describe('BuiltinScheduleFactory at setup', () => {
  /** What the schedule factory reads of its trainer. */
  function trainerWith(horizon: number, warmup: number): Trainer {
    return { trainingHorizon: horizon, warmupSteps: warmup, config: { optimizer: { lr: 1e-3 } } } as unknown as Trainer;
  }

  it('refuses a warmup given in steps that is longer than training, and says how long training is', () => {
    const config = Object.assign(new CosineSchedulerConfig(), { type: 'cosine', warmupSteps: 20 });
    assert.throws(
      () => new CosineSchedulerFactory(trainerWith(19, 20), config).createSchedule(),
      (e: unknown) => e instanceof ConfigError && e.issues[0].path === 'scheduler.warmupSteps' && /warmup of 20 steps is longer than training \(19 optimizer steps\)/.test(e.message),
    );
    assert.doesNotThrow(() => new CosineSchedulerFactory(trainerWith(20, 20), config).createSchedule());
    const ratio = Object.assign(new CosineSchedulerConfig(), { type: 'cosine', warmupRatio: 1 });
    assert.doesNotThrow(() => new CosineSchedulerFactory(trainerWith(20, 20), ratio).createSchedule());
  });
});
