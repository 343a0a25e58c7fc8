import { Tokenizer } from './tokenizer';

/** `data.addBos`: `auto` follows the tokenizer's own rule ({@link Tokenizer.addsBos}); true or false decide. */
export type AddBosSetting = 'auto' | boolean;

/** The values `data.addBos` takes, for validation messages. */
export const ADD_BOS_SETTINGS: readonly AddBosSetting[] = ['auto', true, false];

/**
 * Whether text records (and generation prompts) start with bos: `setting` true or false as
 * written, `auto` by the tokenizer's rule. Anything else (a data config without the field, a
 * recipe saved before `auto` existed) is false, the default before.
 */
export function resolveAddBos(setting: unknown, tokenizer: Pick<Tokenizer, 'addsBos'>): boolean {
  if (setting === 'auto') return tokenizer.addsBos === true;
  return setting === true;
}

/**
 * The run log's line when `auto` resolved to true (the behaviour that differs from Floe's
 * earlier default), e.g. `data: addBos auto → true (tokenizer_config.json add_bos_token)`;
 * undefined otherwise.
 */
export function addBosAutoNote(setting: unknown, tokenizer: Pick<Tokenizer, 'addsBos' | 'addsBosSource'>): string | undefined {
  if (setting !== 'auto' || tokenizer.addsBos !== true) return undefined;
  const source = tokenizer.addsBosSource === undefined ? '' : ` (${tokenizer.addsBosSource})`;
  return `data: addBos auto → true${source}: every text record starts with bos, as the tokenizer's model was trained; set data.addBos: false to leave it out`;
}
