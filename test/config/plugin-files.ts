import * as path from 'path';
import { RecipeDir } from './recipe-dir';

/** The compiled Floe entry point and tiny test trainer, as a plugin written to a temp dir requires them. */
export const FLOE_ENTRY = path.resolve(__dirname, '../../src/index.js');
export const TINY_FIXTURE = path.resolve(__dirname, '../fixtures/tiny-regression.js');

/**
 * Writes a JavaScript plugin that registers `PluginTrainer` (type `trainerType`), a subclass of
 * the tiny regression trainer, the way a user's `code: ./my_trainer.js` would.
 */
export function writeTrainerPlugin(dir: RecipeDir, name: string, trainerType: string): string {
  return dir.write(
    name,
    [
      `const floe = require(${JSON.stringify(FLOE_ENTRY)});`,
      `const { TinyTrainer } = require(${JSON.stringify(TINY_FIXTURE)});`,
      'class PluginTrainer extends TinyTrainer {}',
      `PluginTrainer.type = ${JSON.stringify(trainerType)};`,
      'floe.register(PluginTrainer);',
      'module.exports = { PluginTrainer };',
      '',
    ].join('\n'),
  );
}
