import { strict as assert } from 'assert';
import * as path from 'path';
import { composeRecipeFile, validateRecipe } from '../../src';
import '../fixtures/tiny-regression';
import { isolateRegistries } from '../support/isolated-registries';
import { escapeRegExp, expectConfigError, expectConfigErrorSync, useRecipeDir } from './recipe-dir';

describe('composeRecipeFile (extends)', () => {
  isolateRegistries();
  const recipes = useRecipeDir();

  it('deep-merges a base under the child: mappings merge, the child wins, lists are replaced', () => {
    const r = recipes();
    r.write('base.yaml', ['type: tiny', 'epochs: 3', 'seed: 7', 'optimizer:', '  type: adam', '  lr: 0.01', '  betas: [0.8, 0.9]', 'checkpoint:', '  - type: floe', '    keepLast: 1', ''].join('\n'));
    const child = r.write('child.yaml', ['extends: base.yaml', 'epochs: 5', 'optimizer:', '  lr: 0.05', 'checkpoint: []', ''].join('\n'));
    const { value, files } = composeRecipeFile(child);
    assert.deepEqual(value, { type: 'tiny', epochs: 5, seed: 7, optimizer: { type: 'adam', lr: 0.05, betas: [0.8, 0.9] }, checkpoint: [] });
    assert.deepEqual(files, [child, path.join(r.dir, 'base.yaml')]);
  });

  it('merges a list of bases in order, each later one winning, then the child', () => {
    const r = recipes();
    r.write('a.yaml', ['type: tiny', 'epochs: 2', 'seed: 1', 'optimizer: { type: sgd, momentum: 0.5 }', ''].join('\n'));
    r.write('shared/b.yaml', ['epochs: 3', 'optimizer: { momentum: 0.9 }', ''].join('\n'));
    const child = r.write('child.yaml', ['extends: [a.yaml, shared/b.yaml]', 'seed: 2', ''].join('\n'));
    const { value } = composeRecipeFile(child);
    assert.deepEqual(value, { type: 'tiny', epochs: 3, seed: 2, optimizer: { type: 'sgd', momentum: 0.9 } });
  });

  it("switches a section's type over a base: null unsets the base's keys the new type lacks", async () => {
    const r = recipes();
    r.write('base.yaml', 'type: tiny\noptimizer: { type: sgd, lr: 0.5, momentum: 0.9, nesterov: true }\n');
    const kept = r.write('kept.yaml', 'extends: base.yaml\noptimizer: { type: adam }\n');
    const error = await expectConfigError(validateRecipe(kept));
    assert.deepEqual(error.issues.map((i) => i.path), ['optimizer.momentum', 'optimizer.nesterov']);
    // The hint says how: the key comes from the base, the type from the child.
    assert.match(error.issues[0].hint ?? '', new RegExp(`^The type 'adam' is set over the recipe that has 'momentum' \\(${escapeRegExp(r.at('kept.yaml', 2, 20))}\\): if the key was for the type it replaced, unset it with 'momentum: null' beside the type\\. Allowed: `));
    const viaSet = await expectConfigError(validateRecipe(path.join(r.dir, 'base.yaml'), { overrides: ['optimizer.type=adam'] }));
    assert.match(viaSet.issues[0].hint ?? '', /unset it with --set optimizer\.momentum=null\./);
    // A typo next to a type set by the base is no type switch.
    const typo = await expectConfigError(validateRecipe(r.write('typo.yaml', 'extends: base.yaml\noptimizer: { momentun: 0.5 }\n')));
    assert.equal(typo.issues[0].hint?.startsWith("Did you mean 'momentum'?"), true);
    const dropped = r.write('dropped.yaml', 'extends: base.yaml\noptimizer: { type: adam, momentum: null, nesterov: null }\n');
    const { config } = await validateRecipe(dropped);
    assert.equal(config.optimizer.type, 'adam');
    assert.equal(config.optimizer.lr, 0.5);
    assert.equal('momentum' in config.optimizer, false);
  });

  it('resolves extends relative to the file that declares it', () => {
    const r = recipes();
    r.write('bases/root.yaml', 'type: tiny\nseed: 11\n');
    r.write('bases/mid.yaml', 'extends: root.yaml\nepochs: 4\n');
    const child = r.write('deep/child.yaml', 'extends: ../bases/mid.yaml\n');
    assert.deepEqual(composeRecipeFile(child).value, { type: 'tiny', seed: 11, epochs: 4 });
  });

  it('keeps a base recipe\'s data paths, from: and tokenizer path relative to the base\'s own folder', () => {
    const r = recipes();
    r.write(
      'recipes/base.yaml',
      [
        'type: tiny',
        'data: { sources: [{ type: csv, paths: [data/a.csv, /abs/b.csv], features: [x] }] }',
        'model: { from: weights/w }',
        'tokenizer: { type: hf, path: tok }',
        'outputDir: runs/base',
        'checkpoint: [{ type: floe, dir: ck }]',
        '',
      ].join('\n'),
    );
    const child = r.write('recipes/experiments/child.yaml', 'extends: ../base.yaml\nmodel: { modelJson: mine/model.json }\n');
    const { value } = composeRecipeFile(child);
    assert.deepEqual(value, {
      type: 'tiny',
      // Relative to the child's folder now, so they still name the base's files.
      data: { sources: [{ type: 'csv', paths: [path.join('..', 'data', 'a.csv'), '/abs/b.csv'], features: ['x'] }] },
      model: { from: path.join('..', 'weights', 'w'), modelJson: 'mine/model.json' },
      tokenizer: { type: 'hf', path: '../tok' },
      // The working folder's and the run's paths are not the recipe's.
      outputDir: 'runs/base',
      checkpoint: [{ type: 'floe', dir: 'ck' }],
    });
  });

  it('an empty recipe or one of several YAML documents says so', () => {
    const r = recipes();
    const empty = r.write('empty.yaml', '# nothing yet\n\n');
    assert.match(expectConfigErrorSync(() => composeRecipeFile(empty)).message, /recipe .*empty\.yaml is empty: it needs at least a data section/);
    // As a base it only adds nothing.
    const child = r.write('child.yaml', 'extends: empty.yaml\ntype: tiny\n');
    assert.deepEqual(composeRecipeFile(child).value, { type: 'tiny' });
    const multi = r.write('multi.yaml', 'type: tiny\n---\nepochs: 2\n');
    assert.match(expectConfigErrorSync(() => composeRecipeFile(multi)).message, /the file holds more than one YAML document \(a `---` line\): a recipe is one document \(.*multi\.yaml:2:1\)/);
  });

  it('extends: [] and extends: ~ extend nothing: the recipe alone is composed and validated in full', async () => {
    const r = recipes();
    for (const value of ['[]', '~']) {
      const file = r.write(`none-${value === '[]' ? 'list' : 'null'}.yaml`, `extends: ${value}\ntype: tiny\nepochs: 2\n`);
      const { value: composed, files } = composeRecipeFile(file);
      assert.deepEqual(composed, { type: 'tiny', epochs: 2 });
      assert.deepEqual(files, [file]);
      // Checked as a recipe of its own: a bad setting of its sections is refused at its line.
      const bad = r.write('bad.yaml', `extends: ${value}\ntype: tiny\noptimizer: { type: sgd, lr: fast }\n`);
      const error = await expectConfigError(validateRecipe(bad));
      assert.deepEqual(error.issues.map((i) => i.path), ['optimizer.lr']);
    }
  });

  it('composes the extends of a recipe given as an object, relative to its baseDir', async () => {
    const r = recipes();
    const base = r.write('bases/base.yaml', 'type: tiny\nepochs: 3\noptimizer: { type: sgd, lr: 0.5 }\n');
    const { config, files } = await validateRecipe({ extends: 'bases/base.yaml', optimizer: { lr: 0.25 } }, { baseDir: r.dir });
    assert.equal(config.type, 'tiny');
    assert.equal(config.epochs, 3);
    assert.equal(config.optimizer.type, 'sgd');
    assert.equal(config.optimizer.lr, 0.25);
    assert.deepEqual(files, [base]);
  });

  it('points each validation error at the file that set the value', async () => {
    const r = recipes();
    r.write('base.yaml', ['type: tiny', 'optimizer:', '  lr: -1', 'seed: 3', ''].join('\n'));
    const child = r.write('child.yaml', ['extends: base.yaml', 'epochs: 0', 'seed: -2', ''].join('\n'));
    const error = await expectConfigError(validateRecipe(child));
    const where = Object.fromEntries(error.issues.map((i) => [i.path, `${i.location?.file}:${i.location?.line}:${i.location?.col}`]));
    assert.deepEqual(where, {
      epochs: r.at('child.yaml', 2, 9),
      seed: r.at('child.yaml', 3, 7),
      'optimizer.lr': r.at('base.yaml', 3, 7),
    });
  });

  it('rejects an extends cycle, naming the chain and the extends that closes it', () => {
    const r = recipes();
    r.write('a.yaml', 'extends: b.yaml\ntype: tiny\n');
    r.write('b.yaml', 'seed: 1\nextends: a.yaml\n');
    const error = expectConfigErrorSync(() => composeRecipeFile(path.join(r.dir, 'a.yaml')));
    const rel = (name: string) => path.relative(process.cwd(), path.join(r.dir, name));
    assert.equal(error.message, `Invalid recipe: extends: cycle ${rel('a.yaml')} → ${rel('b.yaml')} → ${rel('a.yaml')} (${r.at('b.yaml', 2, 10)})`);
  });

  it('rejects a recipe that extends itself', () => {
    const r = recipes();
    const self = r.write('self.yaml', 'type: tiny\nextends: [./self.yaml]\n');
    const error = expectConfigErrorSync(() => composeRecipeFile(self));
    assert.equal(error.issues[0].path, 'extends[0]');
    assert.match(error.issues[0].message, /^cycle .*self\.yaml → .*self\.yaml$/);
  });

  it('rejects a missing base file with the extends location', () => {
    const r = recipes();
    const child = r.write('child.yaml', 'type: tiny\nextends: [base.yaml, nope.yaml]\n');
    r.write('base.yaml', 'seed: 1\n');
    const error = expectConfigErrorSync(() => composeRecipeFile(child));
    assert.equal(
      error.message,
      `Invalid recipe: extends[1]: extended recipe not found: nope.yaml (resolved to ${path.join(r.dir, 'nope.yaml')}) (${r.at('child.yaml', 2, 22)})`,
    );
  });

  it('rejects a base that is a folder at the extends (was a message with no location)', () => {
    const r = recipes();
    r.write('bases/a.yaml', 'seed: 1\n');
    const child = r.write('child.yaml', 'type: tiny\nextends: bases\n');
    const error = expectConfigErrorSync(() => composeRecipeFile(child));
    assert.equal(error.message, `Invalid recipe: extends: extended recipe bases is a folder (resolved to ${path.join(r.dir, 'bases')}): name its .yaml file (${r.at('child.yaml', 2, 10)})`);
  });

  it('names a data or weights file given as the recipe, instead of listing its thousands of YAML errors', () => {
    const r = recipes();
    const jsonl = r.write('chat.jsonl', '{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": []}\n');
    const error = expectConfigErrorSync(() => composeRecipeFile(jsonl));
    assert.equal(error.message, `Invalid recipe: ${path.relative(process.cwd(), jsonl)} is a .jsonl file, not a YAML recipe: give the recipe's .yaml file (data files go in data.sources[].paths)`);
    const weights = r.write('model.safetensors', 'x\u0000y: [\n');
    assert.match(expectConfigErrorSync(() => composeRecipeFile(weights)).message, /is a \.safetensors file, not a YAML recipe: .*\(weights are loaded with model\.from\)$/);
    // Binary under any name, and a long list of syntax errors, are cut short.
    const binary = expectConfigErrorSync(() => composeRecipeFile(r.write('odd.yaml', 'a\u0000b\n')));
    assert.match(binary.message, /: it is binary data \(it has NUL bytes\), not a YAML recipe/);
    const garbled = expectConfigErrorSync(() => composeRecipeFile(r.write('garbled.yaml', '{"a": 1, "b": 2}\n'.repeat(30))));
    assert.equal(garbled.issues.length, 11);
    assert.match(garbled.issues[10].message, /^… and \d+ more after these/);
  });

  it('asks "Did you mean" for a missing recipe or base whose name exists with a YAML extension', () => {
    const r = recipes();
    const real = r.write('base.yaml', 'seed: 1\n');
    const missing = expectConfigErrorSync(() => composeRecipeFile(path.join(r.dir, 'base')));
    assert.match(missing.message, new RegExp(`file not found \\(resolved to ${escapeRegExp(path.join(r.dir, 'base'))}\\)\\. Did you mean ${escapeRegExp(path.relative(process.cwd(), real))}\\?$`));
    const yml = expectConfigErrorSync(() => composeRecipeFile(path.join(r.dir, 'base.yml')));
    assert.match(yml.message, /Did you mean .*base\.yaml\?$/);
    const child = r.write('child.yaml', 'extends: base.yml\n');
    assert.equal(expectConfigErrorSync(() => composeRecipeFile(child)).issues[0].hint, 'Did you mean base.yaml?');
  });

  it('rejects an extends that is not a path', () => {
    const r = recipes();
    const child = r.write('child.yaml', 'extends: 3\n');
    const error = expectConfigErrorSync(() => composeRecipeFile(child));
    assert.equal(error.message, `Invalid recipe: extends: must be a recipe path (or a list of them), got 3 (${r.at('child.yaml', 1, 10)})`);
    // null unsets: it extends nothing.
    assert.deepEqual(composeRecipeFile(r.write('none.yaml', 'extends: ~\nseed: 2\n')).value, { seed: 2 });
  });

  it('rejects a missing recipe and a recipe that is not a mapping', () => {
    const r = recipes();
    const missing = expectConfigErrorSync(() => composeRecipeFile(path.join(r.dir, 'missing.yaml')));
    const missingPath = path.join(r.dir, 'missing.yaml');
    assert.equal(missing.message, `Invalid recipe: cannot read recipe ${path.relative(process.cwd(), missingPath)}: file not found (resolved to ${missingPath})`);
    const list = r.write('list.yaml', '- type: tiny\n');
    const notMapping = expectConfigErrorSync(() => composeRecipeFile(list));
    assert.equal(notMapping.message, `Invalid recipe: a recipe must be a mapping of keys to values (${r.at('list.yaml', 1, 1)})`);
  });
});
