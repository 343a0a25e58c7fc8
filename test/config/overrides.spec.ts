import { strict as assert } from 'assert';
import { applyOverrides, SourceMap, validateRecipe } from '../../src';
import '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { expectConfigError, expectConfigErrorSync, useRecipeDir } from './recipe-dir';

const BASE = ['type: tiny', 'epochs: 4', 'optimizer:', '  type: adam', '  lr: 0.01', 'checkpoint:', '  - type: floe', '    keepLast: 1', ''].join('\n');

describe('applyOverrides (--set)', () => {
  isolateRegistries();
  const recipes = useRecipeDir();

  it('sets values parsed as YAML, creating missing sections, and wins over the file', async () => {
    const file = recipes().write('recipe.yaml', BASE);
    const { config } = await validateRecipe(file, {
      overrides: ['optimizer.lr=1e-3', 'epochs=2', 'optimizer.betas=[0.8, 0.9]', 'scheduler.type=cosine', 'checkpoint[0].keepLast=5', 'backend=cpu', 'description=a b=c'],
    });
    assert.equal(config.optimizer.lr, 0.001);
    assert.equal(config.epochs, 2);
    assert.deepEqual((config.optimizer as unknown as { betas: number[] }).betas, [0.8, 0.9]);
    assert.equal(config.optimizer.type, 'adam');
    assert.equal(config.scheduler.type, 'cosine');
    assert.equal((config.checkpoint[0] as unknown as { keepLast: number }).keepLast, 5);
    assert.equal(config.backend.name, 'cpu');
    assert.equal(config.description, 'a b=c', 'only the first = splits key from value');
  });

  it("keeps plain text that YAML would cut or restructure as typed: 'a: b' and ' #' (was a mapping, or the rest dropped as a comment)", async () => {
    const file = recipes().write('recipe.yaml', BASE);
    const { config } = await validateRecipe(file, { overrides: ['description=Run 3: bigger model', 'outputDir=runs/a #1'] });
    assert.equal(config.description, 'Run 3: bigger model');
    assert.equal(config.outputDir, 'runs/a #1');
    const hash = await validateRecipe(file, { overrides: ['description=#3'] });
    assert.equal(hash.config.description, '#3');
    // Flow collections and quoted text are still YAML.
    const flow = await validateRecipe(file, { overrides: ['optimizer={type: sgd, momentum: 0.5}', 'description="quoted: yes"'] });
    assert.equal(flow.config.optimizer.type, 'sgd');
    assert.equal(flow.config.description, 'quoted: yes');
  });

  it('replaces a whole section with a flow mapping', async () => {
    const file = recipes().write('recipe.yaml', BASE);
    const { config } = await validateRecipe(file, { overrides: ['optimizer={type: sgd, momentum: 0.9}', 'checkpoint=[]'] });
    assert.equal(config.optimizer.type, 'sgd');
    assert.equal(config.optimizer.lr, 1e-3, 'the replaced section starts from defaults');
    assert.deepEqual(config.checkpoint, []);
  });

  it('validates overridden values like the file, naming the --set as the location', async () => {
    const file = recipes().write('recipe.yaml', BASE);
    const error = await expectConfigError(validateRecipe(file, { overrides: ['epochs=abc', 'optimizer.lrr=1', 'scheduler.type=x'] }));
    const lines = error.message.split('\n').slice(1);
    assert.deepEqual(lines.sort(), [
      '  - epochs: must be a whole number >= 1 (like 100, 1k, 2.5M, 2^10), got "abc" (--set epochs=abc)',
      "  - optimizer.lrr: unknown key 'lrr' (--set optimizer.lrr=1). Did you mean 'lr'? Allowed: " + allowedOptimizerKeys(error.message),
      "  - scheduler.type 'x' is not supported by trainer 'tiny' (--set scheduler.type=x). Supported: constant, linear, cosine, wsd, inverse-sqrt.",
    ].sort());
  });

  it('locates an unknown section that a --set creates at that --set', async () => {
    const file = recipes().write('recipe.yaml', BASE);
    const error = await expectConfigError(validateRecipe(file, { overrides: ['nosuch.field=1'] }));
    assert.match(error.message, /^Invalid recipe: nosuch: unknown key 'nosuch' \(--set nosuch\.field=1\)\. Allowed: /);
  });

  it('locates errors inside a replaced section at the --set', async () => {
    const file = recipes().write('recipe.yaml', BASE);
    const error = await expectConfigError(validateRecipe(file, { overrides: ['optimizer={type: sgd, lr: -1}'] }));
    assert.equal(error.message, 'Invalid recipe: optimizer.lr: must be a positive number, got -1 (--set optimizer={type: sgd, lr: -1})');
  });

  it('names the --set beside the file when it changed an item of a list the file wrote (the file alone shows no bad value)', async () => {
    const r = recipes();
    const file = r.write('recipe.yaml', ['type: tiny', 'epochs: 4', 'optimizer:', '  type: adam', '  betas: [0.9, 0.99]', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(file, { overrides: ['optimizer.betas[1]=1.5'] }));
    assert.equal(error.message, `Invalid recipe: optimizer.betas: must each be from 0 to 0.999999, got [0.9,1.5] (${r.at('recipe.yaml', 5, 10)}, changed by --set optimizer.betas[1]=1.5)`);
    // A list the --set gave whole, and one it left alone, keep their single location.
    const whole = await expectConfigError(validateRecipe(file, { overrides: ['optimizer.betas=[0.9, 1.5]'] }));
    assert.match(whole.message, / \(--set optimizer\.betas=\[0\.9, 1\.5\]\)$/);
    const untouched = await expectConfigError(validateRecipe(file, { overrides: ['optimizer.lr=-1'] }));
    assert.equal(untouched.message, 'Invalid recipe: optimizer.lr: must be a positive number, got -1 (--set optimizer.lr=-1)');
  });

  it('rejects every malformed --set at once', () => {
    const error = expectConfigErrorSync(() => applyOverrides({ epochs: 2, checkpoint: [{ type: 'floe' }] }, ['epochs', '=3', 'epochs.max=3', 'checkpoint.keepLast=2', 'optimizer.betas=[0.9'], new SourceMap()));
    assert.deepEqual(error.message.split('\n'), [
      'Invalid --set override (5 problems):',
      "  - --set 'epochs' must look like key.path=value (e.g. --set optimizer.lr=1e-3)",
      "  - --set '=3' must look like key.path=value (e.g. --set optimizer.lr=1e-3)",
      "  - epochs.max: 'epochs' holds 2, which has no key 'max' (--set epochs.max=3)",
      "  - checkpoint.keepLast: 'checkpoint' holds a list, which has no key 'keepLast' (--set checkpoint.keepLast=2)",
      "  - optimizer.betas: value '[0.9' is not valid YAML: Flow sequence must end with a ] (--set optimizer.betas=[0.9)",
    ]);
  });

  it('an index may name an item or append one; past the end, a dotted index or an empty name is an error', () => {
    const recipe: Record<string, unknown> = { checkpoint: [{ type: 'floe' }] };
    applyOverrides(recipe, ['checkpoint[0].keepLast=2', 'checkpoint[1].type=safetensors', 'callbacks[0].type=early-stopping'], new SourceMap());
    assert.deepEqual(recipe, { checkpoint: [{ type: 'floe', keepLast: 2 }, { type: 'safetensors' }], callbacks: [{ type: 'early-stopping' }] });
    const error = expectConfigErrorSync(() =>
      applyOverrides({ checkpoint: [{ type: 'floe' }], callbacks: [] }, ['checkpoint[3].type=safetensors', 'callbacks[1].type=x', 'checkpoint.0.type=tfjs', 'optimizer..lr=1'], new SourceMap()),
    );
    assert.deepEqual(error.message.split('\n'), [
      'Invalid --set override (4 problems):',
      "  - checkpoint[3].type: index [3] is past the end of 'checkpoint' (1 item: use [0]..[0] to change one, [1] to add one) (--set checkpoint[3].type=safetensors)",
      "  - callbacks[1].type: index [1] is past the end of 'callbacks' (it is empty: use [0] to add an item) (--set callbacks[1].type=x)",
      "  - checkpoint.0.type: 'checkpoint' holds a list, which has no key '0' (an item of a list is written checkpoint[0]) (--set checkpoint.0.type=tfjs)",
      "  - optimizer..lr: --set 'optimizer..lr' has an empty name between dots (--set optimizer..lr=1)",
    ]);
  });

  it("names a list index that is no whole number (was: \"unknown key 'sources[x]'. Did you mean 'sources'?\")", () => {
    const recipe = { data: { sources: [{ type: 'synthetic' }] } };
    const error = expectConfigErrorSync(() => applyOverrides(recipe, ['data.sources[x].count=1', 'data.sources[-1].count=1', 'data.sources[0.count=1'], new SourceMap()));
    assert.deepEqual(error.message.split('\n'), [
      'Invalid --set override (3 problems):',
      "  - data.sources[x].count: '[x]' is not a list index: an item of a list is named by its position from 0, e.g. data.sources[0] (--set data.sources[x].count=1)",
      "  - data.sources[-1].count: '[-1]' is not a list index: an item of a list is named by its position from 0, e.g. data.sources[0] (--set data.sources[-1].count=1)",
      "  - data.sources[0.count: an unclosed '[' is not a list index: an item of a list is named by its position from 0, e.g. data.sources[0] (--set data.sources[0.count=1)",
    ]);
    assert.deepEqual(recipe, { data: { sources: [{ type: 'synthetic' }] } }, 'nothing was set');
  });

  it('names the bad index, not a good one before it, in nested indices and across dots', () => {
    const recipe = { data: { sources: [[{ type: 'synthetic' }]] } };
    const error = expectConfigErrorSync(() => applyOverrides(recipe, ['data.sources[0][x].count=1', 'data.sources[0.b[1]=1'], new SourceMap()));
    assert.deepEqual(error.message.split('\n'), [
      'Invalid --set override (2 problems):',
      "  - data.sources[0][x].count: '[x]' is not a list index: an item of a list is named by its position from 0, e.g. data.sources[0] (--set data.sources[0][x].count=1)",
      "  - data.sources[0.b[1]: an unclosed '[' is not a list index: an item of a list is named by its position from 0, e.g. data.sources[0] (--set data.sources[0.b[1]=1)",
    ]);
  });

  it('refuses --set extends=… (bases merge before overrides apply: it was silently ignored)', async () => {
    const r = recipes();
    r.write('bad-base.yaml', 'epochs: -1\n');
    const file = r.write('recipe.yaml', BASE);
    const error = await expectConfigError(validateRecipe(file, { overrides: ['extends=bad-base.yaml'] }));
    assert.equal(error.issues.length, 1);
    assert.match(error.message, /extends: --set cannot change 'extends' \(the bases are merged before --set applies\)/);
  });

  it("a key under a section written in short form (distributed: threads) says how to write the section out, and that works", async () => {
    const file = recipes().write('recipe.yaml', `${BASE}distributed: none\n`);
    const error = await expectConfigError(validateRecipe(file, { overrides: ['distributed.workers=2'] }));
    assert.equal(
      error.message,
      "Invalid --set override: distributed.workers: 'distributed' holds \"none\", which has no key 'workers' ('distributed: none' is short for { backend: none }: to set 'workers' as well, write the section out: --set 'distributed={backend: none, workers: 2}') (--set distributed.workers=2)",
    );
    const { config } = await validateRecipe(file, { overrides: ['distributed={backend: none, workers: 2}'] });
    assert.equal(config.distributed.backend, 'none');
    assert.equal(config.distributed.workers, 2);
  });

  it('rejects an index into a mapping', () => {
    const error = expectConfigErrorSync(() => applyOverrides({ optimizer: { lr: 1 } }, ['optimizer[0]=1'], new SourceMap()));
    assert.equal(error.message, "Invalid --set override: optimizer[0]: 'optimizer' holds a mapping, which has no index [0] (--set optimizer[0]=1)");
    // A list section written as one mapping (a list of one): say how to reach it.
    const single = expectConfigErrorSync(() => applyOverrides({ checkpoint: { type: 'floe' } }, ['checkpoint[0].keepLast=3'], new SourceMap()));
    assert.equal(
      single.issues[0].message,
      "'checkpoint' holds a mapping, which has no index [0] (it is one item written without a list: set checkpoint.keepLast, or give 'checkpoint' as a list)",
    );
  });
});

/** The allowed-keys list of the optimizer's unknown-key message (its exact contents belong to the optimizer config). */
function allowedOptimizerKeys(message: string): string {
  const match = /optimizer\.lrr: .* Allowed: (.*)$/m.exec(message);
  assert.ok(match !== null, message);
  assert.match(match[1], /\blr\b.*\.$/);
  return match[1];
}
