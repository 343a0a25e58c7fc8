import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';
import * as ts from 'typescript';
import { FLOE_ENTRY, TINY_FIXTURE } from '../config/plugin-files';
import { RecipeDir, useRecipeDir } from '../config/recipe-dir';

const REPO = path.resolve(__dirname, '../../..');

/** Runs `floe <args>` through bin/floe.js (which turns source maps on) in `cwd`. */
function floe(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'floe.js'), ...args], { cwd, env: { ...process.env, CI: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** A recipe in `r` that loads `plugin` and trains `type` (a tiny regression trainer) for a step. */
function recipeWith(r: RecipeDir, plugin: string, type = 'tiny'): string {
  return r.write('recipe.yaml', [`code: ./${plugin}`, `type: ${type}`, 'backend: cpu', 'quiet: true', 'checkpoint: []', `outputDir: ${JSON.stringify(path.join(r.dir, 'run'))}`, ''].join('\n'));
}

const HEADER = [`const floe = require(${JSON.stringify(FLOE_ENTRY)});`, `const { TinyTrainer } = require(${JSON.stringify(TINY_FIXTURE)});`];

describe('floe CLI with source maps (bin/floe.js)', () => {
  const recipes = useRecipeDir('floe-source-maps-');

  it("names the plugin's own register line, not Floe's registry, for a class it cannot register", async () => {
    const r = recipes();
    r.write('bad.js', [...HEADER, 'class NoType extends floe.OptimizerFactory {}', 'floe.register(NoType);', ''].join('\n'));
    const { code, stderr } = await floe(['validate', recipeWith(r, 'bad.js')], r.dir);
    assert.equal(code, 1, stderr);
    // With source maps on, the registry's own frames are src/registry/*.ts: it named registration-site.ts:34.
    assert.match(stderr, /Cannot register optimizer factory class NoType \(at bad\.js:4\):/);
    assert.doesNotMatch(stderr, /registration-site|src\/registry/);
  });

  it("names the TypeScript line of a plugin compiled with a source map, and Floe's .ts files in --verbose stacks", async () => {
    const r = recipes();
    const source = ['declare const require: (id: string) => any;', ...HEADER, '', 'class NoConfig extends floe.OptimizerFactory {', "  static readonly type: string = 'no-config';", '}', '', 'floe.register(NoConfig);', ''].join('\n');
    const compiled = ts.transpileModule(source, { fileName: 'bad.ts', compilerOptions: { sourceMap: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    r.write('bad.ts', source);
    r.write('bad.js', compiled.outputText);
    r.write('bad.js.map', compiled.sourceMapText ?? '');
    const { code, stderr } = await floe(['validate', recipeWith(r, 'bad.js'), '--verbose'], r.dir);
    assert.equal(code, 1, stderr);
    // The register line of bad.ts (bad.js has it elsewhere: the declare line and blank lines go).
    const line = source.split('\n').indexOf('floe.register(NoConfig);') + 1;
    assert.notEqual(compiled.outputText.split('\n').indexOf('floe.register(NoConfig);') + 1, line);
    assert.ok(stderr.includes(`class NoConfig (at bad.ts:${line}):`), stderr);
    assert.match(stderr, /\n\s+at \S.* \(\S*src\/config\/plugins\.ts:\d+:\d+\)/, 'stack frames name the .ts sources');
  });

  it("a built-in's registration has no site, and a plugin loss() error names the plugin's line", async () => {
    const r = recipes();
    r.write(
      'plugin.js',
      [
        ...HEADER,
        "class TakesAdamw extends floe.AdamWOptimizerFactory {}",
        "TakesAdamw.type = 'adamw';",
        'try { floe.register(TakesAdamw); } catch (error) { console.error(`collision: ${error.message}`); }',
        'class Throwing extends TinyTrainer {',
        "  loss() { throw new TypeError('boom'); }",
        '}',
        "Throwing.type = 'throwing';",
        'floe.register(Throwing);',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await floe(['train', recipeWith(r, 'plugin.js', 'throwing')], r.dir);
    assert.equal(code, 1, stderr);
    // Floe's own AdamW factory is a built-in: no "(registered at src/registry/registration-site.ts:34)".
    assert.match(stderr, /collision: [^\n]*\n\s+- type 'adamw' is already registered by class AdamWOptimizerFactory; choose another type/);
    assert.match(stderr, /Throwing\.loss\(\) threw on training batch 1 .* at plugin\.js:7:\d+: boom/);
  });

  it("a tfjs error inside a plugin's loss() names the plugin's line, not tfjs's mapped sources (was 'at tfjs-core/src/util_base.ts:153:11')", async () => {
    const r = recipes();
    const tfjs = require.resolve('@tensorflow/tfjs', { paths: [REPO] });
    r.write(
      'plugin.js',
      [...HEADER, `const tf = require(${JSON.stringify(tfjs)});`, 'class BadShapes extends TinyTrainer {', '  loss(batch) { return tf.matMul(batch.x, tf.ones([3, 3])); }', '}', "BadShapes.type = 'bad-shapes';", 'floe.register(BadShapes);', ''].join('\n'),
    );
    const { code, stderr } = await floe(['train', recipeWith(r, 'plugin.js', 'bad-shapes')], r.dir);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /BadShapes\.loss\(\) threw on training batch 1 .* at plugin\.js:5:\d+: Error in matMul: inner shapes/);
  });

  it('a loss() error of a TypeScript plugin on 2 worker threads names the same .ts line as one process', async () => {
    const r = recipes();
    const source = [
      'declare const require: (id: string) => any;',
      ...HEADER,
      '',
      'class Throwing extends TinyTrainer {',
      '  loss(): never {',
      "    throw new TypeError('boom');",
      '  }',
      '}',
      "Throwing.type = 'throwing';",
      'floe.register(Throwing);',
      '',
    ].join('\n');
    const compiled = ts.transpileModule(source, { fileName: 'plugin.ts', compilerOptions: { sourceMap: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    r.write('plugin.ts', source);
    r.write('plugin.js', compiled.outputText);
    r.write('plugin.js.map', compiled.sourceMapText ?? '');
    const line = source.split('\n').indexOf("    throw new TypeError('boom');") + 1;
    assert.notEqual(compiled.outputText.split('\n').indexOf("    throw new TypeError('boom');") + 1, line);
    const recipe = recipeWith(r, 'plugin.js', 'throwing');
    const single = await floe(['train', recipe, '--set', 'distributed=none'], r.dir);
    assert.equal(single.code, 1, single.stderr);
    assert.match(single.stderr, new RegExp(`Throwing\\.loss\\(\\) threw on training batch 1 .* at plugin\\.ts:${line}:\\d+: boom`));
    // The workers had no source maps: plugin.js's line.
    const threads = await floe(['train', recipe, '--set', 'distributed.backend=threads', '--set', 'distributed.workers=2'], r.dir);
    assert.equal(threads.code, 1, threads.stderr);
    assert.equal(threads.stderr, single.stderr);
  });
});
