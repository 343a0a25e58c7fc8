import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { writeManifest } from '../../src/checkpoint/io/write-manifest';
import { CheckpointError } from '../../src';
import { useCheckpointCopies } from './fixtures/checkpoint-copies';

/**
 * Files removed from a checkpoint together with their manifest entries (so the manifest passes):
 * a resume goes on without the optional ones, saying what it skips, and refuses without a file it
 * needs, naming it and what it holds.
 */
describe('checkpoint files removed with their manifest entries', () => {
  const copies = useCheckpointCopies('floe-optional-files-');

  /** Removes files `names` of step 4 and rebuilds its manifest without them. */
  async function remove(...names: string[]): Promise<void> {
    for (const name of names) fs.rmSync(path.join(copies.step4, name));
    await writeManifest(copies.step4);
  }

  it('resumes without tokenizer-identity.json (older checkpoints have none), saying the tokenizer is not checked (it was silent)', async () => {
    await remove('tokenizer-identity.json');
    const resumed = await copies.resume(6);
    assert.equal(resumed.result.globalStep, 6);
    assert.ok(
      resumed.lines.includes(
        `warn: checkpoint ${copies.step4} has no tokenizer-identity.json (the tokenizer's type, fingerprint and special ids, checked against the recipe's tokenizer), ` +
          'which this trainer writes with every checkpoint; loading without it, so what it checks or restores is skipped. ' +
          'Checkpoints written before the file existed have none; if it was removed, use an intact copy of the checkpoint.',
      ),
      resumed.lines.join('\n'),
    );
  });

  it('resumes without recipe.yaml and model-config.json, which a resume does not need (the recipe builds the model)', async () => {
    await remove('recipe.yaml', 'model-config.json');
    const resumed = await copies.resume(6);
    assert.equal(resumed.result.globalStep, 6);
    assert.deepEqual(resumed.lines.filter((l) => l.startsWith('warn:') && !l.includes('unknown token')), []);
  });

  it('refuses to resume without optimizer.safetensors (it would restart the Adam moments), naming it and what it holds', async () => {
    await remove('optimizer.safetensors');
    await assert.rejects(copies.resume(6), (error: Error) => {
      assert.ok(error instanceof CheckpointError, error.message);
      assert.equal(
        error.message,
        `Checkpoint '${copies.step4}' has no optimizer.safetensors, and its manifest does not list it either. ` +
          'A floe checkpoint holds trainer-state.json (step, data position, RNG), model.safetensors (weights), optimizer.safetensors (optimizer state, read to resume): ' +
          `use another checkpoint (the newest before it is ${path.join(path.dirname(copies.step4), 'step-000002')}).`,
      );
      return true;
    });
  });

  it('refuses to resume a checkpoint left with only what an export holds, as a weights-only export', async () => {
    await remove('trainer-state.json', 'optimizer.safetensors', 'recipe.yaml', 'tokenizer-identity.json');
    await assert.rejects(copies.resume(6), (error: Error) => {
      assert.ok(error instanceof CheckpointError, error.message);
      assert.ok(error.message.includes('is a weights-only export'), error.message);
      return true;
    });
  });
});
