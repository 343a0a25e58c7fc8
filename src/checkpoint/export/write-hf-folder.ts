import { promises as fs } from 'fs';
import * as path from 'path';
import type { GptModel } from '../../model/gpt-model';
import { tensorsToRaw } from '../formats/tensors-to-raw';
import { writeSafetensors } from '../formats/write-safetensors';
import { writeDirAtomically } from '../io/write-dir-atomically';
import { hfExportConfigJson, hfExportModelType, hfGenerationConfigJson } from './hf-export-config';
import { hfExportTensors } from './hf-export-names';
import { HfExportTokenizer, copyHfExportTokenizer } from './hf-export-tokenizer';

/** HF config file of an exported folder; also the marker of a finished HF export. */
export const HF_CONFIG_FILE = 'config.json';
/** HF generation defaults of an exported folder. */
export const HF_GENERATION_CONFIG_FILE = 'generation_config.json';

/** Options of {@link writeHfFolder}. */
export interface WriteHfFolderOptions {
  /** Replace an existing folder. */
  overwrite: boolean;
  /** The run's tokenizer: special ids and the files to copy (none: no ids, no tokenizer files). */
  tokenizer?: HfExportTokenizer;
}

async function writeJson(file: string, json: Record<string, unknown>): Promise<void> {
  await fs.writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * Writes a plain (merged) GPT as a HuggingFace folder, atomically: `config.json`,
 * `model.safetensors` (float32, HF names and layouts, metadata `format: pt` as transformers
 * requires), `generation_config.json` and the tokenizer files. The architecture is checked before
 * anything is read or written.
 */
export async function writeHfFolder(dir: string, model: GptModel, options: WriteHfFolderOptions): Promise<void> {
  const modelType = hfExportModelType(model.options);
  const tensors = hfExportTensors(await tensorsToRaw(model.params), model.options, modelType);
  const ids = options.tokenizer?.ids;
  await writeDirAtomically(
    dir,
    async (tmp) => {
      await writeSafetensors(path.join(tmp, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
      await writeJson(path.join(tmp, HF_CONFIG_FILE), hfExportConfigJson(model.options, modelType, ids));
      if (ids !== undefined) await writeJson(path.join(tmp, HF_GENERATION_CONFIG_FILE), hfGenerationConfigJson(ids));
      if (options.tokenizer !== undefined) await copyHfExportTokenizer(tmp, options.tokenizer);
    },
    { overwrite: options.overwrite },
  );
}
