import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointError, FloeCheckpointEngine } from '../../src';
import '../fixtures/tiny-regression';
import { QUIET_RUN, runRecorded } from './fixtures/tiny-gpt-run';
import { makeTempDir } from './temp-dir';

describe('a checkpoint save the file system refuses', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('floe-save-errors-')));
  afterEach(() => cleanup());

  it('a full disk mid-run is a CheckpointError naming the step, the folder, the newest intact checkpoint and what to do', async () => {
    const run = path.join(dir, 'run');
    const proto = FloeCheckpointEngine.prototype as unknown as { writeContents: (tmp: string) => Promise<void> };
    const write = proto.writeContents;
    let saves = 0;
    // The second save runs out of space halfway (the weights written, then ENOSPC).
    proto.writeContents = async function (this: FloeCheckpointEngine, tmp: string): Promise<void> {
      if (++saves === 2) {
        fs.writeFileSync(path.join(tmp, 'model.safetensors'), 'partial');
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return write.call(this, tmp);
    };
    try {
      const recipe = { type: 'tiny', backend: 'cpu', ...QUIET_RUN, epochs: 1, microBatchSize: 8, outputDir: run, optimizer: { type: 'adam', lr: 0.05 }, checkpoint: [{ type: 'floe', saveEveryNSteps: 4 }], callbacks: [] };
      await assert.rejects(runRecorded(recipe), (e: Error) => {
        assert.ok(e instanceof CheckpointError, e.stack);
        const step4 = path.join(run, 'checkpoints', 'step-000004');
        assert.equal(
          e.message,
          `Cannot save the step 8 checkpoint to ${path.join(run, 'checkpoints', 'step-000008')} (checkpoint[0]): the disk is full (ENOSPC). Nothing of this save was kept. ` +
            `Earlier checkpoints are intact; the newest is ${step4}. Make room (or set checkpoint[0].dir to another disk), then resume from it with --resume.`,
        );
        return true;
      });
    } finally {
      proto.writeContents = write;
    }
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')), ['step-000004'], 'no half checkpoint, no temp folder');
  });
});
