import { DATA_SCHEMA_FILE } from '../data/tabular/tabular-schema-file';
import { NORMALIZATION_FILE } from '../data/tabular/normalization-file-name';
import { MODEL_TOPOLOGY_FILE } from '../model/layers-model';
import { TOKENIZER_IDENTITY_FILE } from '../tokenizer/tokenizer-identity';

/** What the built-in trainers' extra files hold, for {@link missingExtraFilesNote}. */
const EXTRA_FILE_CONTENTS: Record<string, string> = {
  [TOKENIZER_IDENTITY_FILE]: "the tokenizer's type, fingerprint and special ids, checked against the recipe's tokenizer",
  [NORMALIZATION_FILE]: 'the feature and target standardization stats',
  [DATA_SCHEMA_FILE]: 'the data columns, checked against the data',
  [MODEL_TOPOLOGY_FILE]: "the layers model's topology",
};

/**
 * The warning for extra files `names` that the trainer writes with every checkpoint but checkpoint
 * `dir` lacks (older checkpoints, or removed with their manifest entries): loading goes on without them.
 */
export function missingExtraFilesNote(dir: string, names: readonly string[]): string {
  const listed = names.map((name) => (EXTRA_FILE_CONTENTS[name] === undefined ? name : `${name} (${EXTRA_FILE_CONTENTS[name]})`)).join(', ');
  const one = names.length === 1;
  return (
    `checkpoint ${dir} has no ${listed}, which this trainer writes with every checkpoint; loading without ${one ? 'it' : 'them'}, so what ${one ? 'it checks or restores is' : 'they check or restore is'} skipped. ` +
    `Checkpoints written before ${one ? 'the file' : 'these files'} existed have none; if ${one ? 'it was' : 'they were'} removed, use an intact copy of the checkpoint.`
  );
}
