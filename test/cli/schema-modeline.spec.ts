import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { schemaModelineHint } from '../../src/cli/schema-modeline';
import { cli } from '../support/cli-run';

/** The `$schema=` paths a hint line suggests. */
const schemaPaths = (hint: string): string[] => [...hint.matchAll(/\$schema=([^"]+)"/g)].map((m) => m[1]);

describe('floe schema modeline hint', () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    cwd = process.cwd();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-schema-hint-')));
  });
  afterEach(() => {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the path from recipes/ for recipes there, and the absolute path for others', () => {
    fs.mkdirSync(path.join(dir, 'recipes'));
    const hint = schemaModelineHint('schemas/recipe.schema.json', dir);
    const file = path.join(dir, 'schemas', 'recipe.schema.json');
    assert.deepEqual(schemaPaths(hint), ['../schemas/recipe.schema.json', file]);
    assert.match(hint, /at the top of a recipe in recipes\/ \(the path is relative to the recipe's folder\); elsewhere/);
  });

  it('gives the absolute path when there is no recipes/ folder, saying how a relative one is read', () => {
    const hint = schemaModelineHint('recipe.schema.json', dir);
    assert.deepEqual(schemaPaths(hint), [path.join(dir, 'recipe.schema.json')]);
    assert.match(hint, /a relative \$schema path is read from the recipe's folder/);
  });

  it('gives only the absolute path for a schema outside the working folder', () => {
    fs.mkdirSync(path.join(dir, 'project', 'recipes'), { recursive: true });
    const file = path.join(dir, 'shared', 'recipe.schema.json');
    assert.deepEqual(schemaPaths(schemaModelineHint(file, path.join(dir, 'project'))), [file]);
  });

  it('floe schema --out prints paths that reach the written file from where the recipes are', async () => {
    fs.mkdirSync(path.join(dir, 'recipes'));
    process.chdir(dir);
    const run = await cli('schema', '--out', 'out/recipe.schema.json');
    assert.equal(run.code, 0, run.err.join('\n'));
    const written = path.join(dir, 'out', 'recipe.schema.json');
    assert.ok(fs.existsSync(written));
    // It printed '$schema=out/recipe.schema.json', which a recipe in recipes/ resolves to recipes/out/...
    const [fromRecipes, absolute] = schemaPaths(run.out[1]);
    assert.equal(path.resolve(dir, 'recipes', fromRecipes), written, run.out[1]);
    assert.equal(absolute, written);
  });
});
