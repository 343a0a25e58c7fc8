import * as fs from 'fs';
import * as path from 'path';
import type { Tokenizer } from '../../tokenizer/tokenizer';
import { HfTokenizerConfig } from '../../tokenizer/hf-tokenizer-factory';
import { isInlineChatTemplate } from '../../data/chat-template-setting';
import type { HfExportTokenIds } from './hf-export-config';

/** Files of an HF tokenizer folder copied beside tokenizer.json and tokenizer_config.json, when present. */
const SIDE_FILES = ['special_tokens_map.json', 'chat_template.jinja'];

/** What an HF export writes of the run's tokenizer. */
export interface HfExportTokenizer {
  /** Special ids for `config.json` and `generation_config.json`. */
  ids: HfExportTokenIds;
  /** Files to copy: name in the export → absolute source path (empty when the tokenizer has no HF files). */
  files: Record<string, string>;
  /** The recipe's bosToken/eosToken/padToken, written over the copied tokenizer_config.json. */
  overrides: Record<string, string>;
  /**
   * The Jinja template the run trained with (`data.chatTemplate` written out in the recipe): the
   * export's chat_template, in chat_template.jinja and tokenizer_config.json, instead of the source's.
   */
  chatTemplate?: string;
  /** Why the folder holds no tokenizer, when it does not (shown to the user). */
  note?: string;
}

/** The parts of a trainer (or a loaded checkpoint's) the tokenizer export reads. */
export interface HfExportTokenizerSource {
  /** The recipe. */
  config: {
    /** Its tokenizer section (an `HfTokenizerConfig` for the `hf` tokenizer). */
    tokenizer: unknown;
    /** Its data section (`chatTemplate`, when the data has one). */
    data?: unknown;
  };
  /** The run's context. */
  context: {
    /** Folder relative tokenizer paths resolve against. */
    recipeDir: string;
  };
  /** The built tokenizer (special ids). */
  tokenizer: Tokenizer;
}

/**
 * The tokenizer files an HF export copies so the folder is self-contained: for an `hf` tokenizer,
 * the tokenizer.json it was read from (under that name whatever the recipe's file is called), its
 * tokenizer_config.json and a special_tokens_map.json / chat_template.jinja beside it. Other
 * tokenizers (`byte`, plugins) have no HF files: the folder gets weights and configs only, and
 * `note` says so (transformers then loads the model, but no `AutoTokenizer`). A Jinja
 * `data.chatTemplate` written out in the recipe replaces the source's chat template, so
 * `apply_chat_template` writes the format the model was fine-tuned with.
 */
export function hfExportTokenizer(source: HfExportTokenizerSource): HfExportTokenizer {
  const t = source.tokenizer;
  const ids = { bosId: t.bosId, eosId: t.eosId, padId: t.padId };
  const c = source.config.tokenizer;
  if (!(c instanceof HfTokenizerConfig)) {
    const type = (c as { type?: unknown }).type;
    const ofByte = type === 'byte' ? ` (its ids are UTF-8 bytes 0-255, bos ${t.bosId}, eos ${t.eosId}, pad ${t.padId})` : '';
    return {
      ids,
      files: {},
      overrides: {},
      note: `the recipe's '${String(type)}' tokenizer has no HuggingFace tokenizer files, so the folder holds no tokenizer${ofByte}: transformers loads the model, not an AutoTokenizer, and llama.cpp's converter needs a tokenizer.json`,
    };
  }
  const dir = source.context.recipeDir;
  let json = path.resolve(dir, c.path);
  if (fs.statSync(json).isDirectory()) json = path.join(json, 'tokenizer.json');
  let config = c.configPath === undefined ? path.join(path.dirname(json), 'tokenizer_config.json') : path.resolve(dir, c.configPath);
  if (fs.existsSync(config) && fs.statSync(config).isDirectory()) config = path.join(config, 'tokenizer_config.json');
  const files: Record<string, string> = { 'tokenizer.json': json };
  if (fs.existsSync(config)) files['tokenizer_config.json'] = config;
  for (const name of SIDE_FILES) {
    const side = path.join(path.dirname(config), name);
    if (fs.existsSync(side)) files[name] = side;
  }
  const overrides: Record<string, string> = {};
  if (c.bosToken !== undefined) overrides.bos_token = c.bosToken;
  if (c.eosToken !== undefined) overrides.eos_token = c.eosToken;
  if (c.padToken !== undefined) overrides.pad_token = c.padToken;
  const setting = (source.config.data as { chatTemplate?: unknown } | undefined)?.chatTemplate;
  if (typeof setting !== 'string' || !isInlineChatTemplate(setting)) return { ids, files, overrides };
  delete files['chat_template.jinja'];
  return { ids, files, overrides: { ...overrides, chat_template: setting }, chatTemplate: setting };
}

/**
 * Copies the tokenizer files into `dir`, writing the recipe's special-token overrides (and a chat
 * template of its own) into tokenizer_config.json, the template also as chat_template.jinja.
 */
export async function copyHfExportTokenizer(dir: string, tokenizer: HfExportTokenizer): Promise<void> {
  for (const [name, from] of Object.entries(tokenizer.files)) await fs.promises.copyFile(from, path.join(dir, name));
  if (tokenizer.chatTemplate !== undefined) await fs.promises.writeFile(path.join(dir, 'chat_template.jinja'), tokenizer.chatTemplate);
  if (Object.keys(tokenizer.overrides).length === 0) return;
  const file = path.join(dir, 'tokenizer_config.json');
  const json = fs.existsSync(file) ? (JSON.parse(await fs.promises.readFile(file, 'utf8')) as Record<string, unknown>) : {};
  await fs.promises.writeFile(file, `${JSON.stringify({ ...json, ...tokenizer.overrides }, null, 2)}\n`);
}
