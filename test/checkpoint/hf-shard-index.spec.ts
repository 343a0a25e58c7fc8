import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { hfWeightFiles } from '../../src/checkpoint/import';
import { CheckpointError } from '../../src/errors';
import { makeTempDir } from './temp-dir';

describe('hfWeightFiles (model.safetensors.index.json)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let model: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('floe-shard-index-'));
    model = path.join(dir, 'model');
    fs.mkdirSync(model);
    // Files a bad shard name could reach: the parent folder and a safetensors file beside the model folder.
    fs.writeFileSync(path.join(dir, 'x.safetensors'), 'not read');
  });
  afterEach(() => cleanup());

  const writeIndex = (weightMap: Record<string, unknown>): string => {
    const index = path.join(model, 'model.safetensors.index.json');
    fs.writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
    return index;
  };

  it('lists the shards the index names, each once, sorted', async () => {
    writeIndex({ 'b.weight': 'model-00002-of-00002.safetensors', 'a.weight': 'model-00001-of-00002.safetensors', 'c.weight': 'model-00001-of-00002.safetensors' });
    assert.deepEqual(await hfWeightFiles(model), [path.join(model, 'model-00001-of-00002.safetensors'), path.join(model, 'model-00002-of-00002.safetensors')]);
  });

  it('refuses a shard outside the folder or not a .safetensors file, naming the index, the tensor and the value', async () => {
    const cases: Array<[unknown, string]> = [
      ['..', 'which leads outside the folder'],
      ['../x.safetensors', 'which leads outside the folder'],
      ['..\\x.safetensors', 'which leads outside the folder'],
      [path.join(dir, 'x.safetensors'), 'an absolute path, outside the folder'],
      ['C:\\models\\x.safetensors', 'an absolute path, outside the folder'],
      ['sub/x.safetensors', 'which has a folder part'],
      ['model.bin', 'which does not end in .safetensors'],
      ['', 'which does not end in .safetensors'],
      [3, 'which is not a file name (a string)'],
    ];
    for (const [shard, problem] of cases) {
      const index = writeIndex({ 'embed.weight': 'model-00001-of-00002.safetensors', 'lm_head.weight': shard });
      await assert.rejects(hfWeightFiles(model), (e: Error) => {
        assert.ok(e instanceof CheckpointError, `${JSON.stringify(shard)}: ${e.name}: ${e.message}`);
        assert.equal(
          e.message,
          `Safetensors index '${index}': weight_map entry 'lm_head.weight' names shard ${JSON.stringify(shard)}, ${problem}. ` +
            `Expected the name of a .safetensors file inside '${model}' (model-00001-of-00002.safetensors), without a folder.`,
        );
        return true;
      });
    }
  });
});
