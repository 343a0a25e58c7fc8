import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../src';

/** A temp folder of recipe files for one test. */
export class RecipeDir {
  constructor(readonly dir: string) {}

  /** Writes `text` to `name` (sub-folders created) and returns the absolute path. */
  write(name: string, text: string): string {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  /** `file:line:col` as errors print it (the path relative to the working directory). */
  at(name: string, line: number, col: number): string {
    return `${path.relative(process.cwd(), path.join(this.dir, name))}:${line}:${col}`;
  }
}

/** A fresh {@link RecipeDir} per test of the enclosing `describe`, deleted afterwards. */
export function useRecipeDir(prefix = 'floe-recipe-'): () => RecipeDir {
  let current: RecipeDir | undefined;
  beforeEach(() => {
    current = new RecipeDir(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  });
  afterEach(() => {
    if (current !== undefined) fs.rmSync(current.dir, { recursive: true, force: true });
    current = undefined;
  });
  return () => {
    assert.ok(current !== undefined, 'useRecipeDir() is only available inside a test');
    return current;
  };
}

/** Awaits `promise`, expecting a ConfigError, and returns it. */
export async function expectConfigError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${(error as Error)?.stack ?? String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

/** Calls `fn`, expecting a ConfigError, and returns it. */
export function expectConfigErrorSync(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${(error as Error)?.stack ?? String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

/** `text` with regular-expression characters escaped, to embed a path in a pattern. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
