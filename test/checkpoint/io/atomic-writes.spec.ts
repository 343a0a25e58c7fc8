import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CheckpointError } from '../../../src/errors';
import { atomicWriteFile, writeDirAtomically } from '../../../src/checkpoint/io';
import { makeTempDir } from '../temp-dir';

describe('atomicWriteFile', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it('replaces the file content and leaves no temp file behind', async () => {
    const file = path.join(dir, 'status.json');
    await atomicWriteFile(file, 'first');
    await atomicWriteFile(file, new Uint8Array([104, 105]));
    assert.equal(await fs.readFile(file, 'utf8'), 'hi');
    assert.deepEqual(await fs.readdir(dir), ['status.json']);
  });

  it('keeps the old file and removes the temp file when the rename fails', async () => {
    const target = path.join(dir, 'occupied');
    await fs.mkdir(path.join(target, 'child'), { recursive: true }); // rename onto a non-empty folder fails
    await assert.rejects(atomicWriteFile(target, 'x'));
    assert.deepEqual(await fs.readdir(dir), ['occupied']);
  });
});

describe('writeDirAtomically', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it('writes into a hidden temp sibling and renames it into place', async () => {
    const finalDir = path.join(dir, 'checkpoints', 'step-000040');
    let seenTmp = '';
    const result = await writeDirAtomically(finalDir, async (tmp) => {
      seenTmp = tmp;
      assert.equal(path.dirname(tmp), path.dirname(finalDir));
      assert.ok(path.basename(tmp).startsWith('.step-000040.tmp-'));
      await fs.mkdir(path.join(tmp, 'sub'));
      await fs.writeFile(path.join(tmp, 'a.bin'), 'A');
      await fs.writeFile(path.join(tmp, 'sub', 'b.txt'), 'B');
      return 42;
    });
    assert.equal(result, 42);
    assert.equal(await fs.readFile(path.join(finalDir, 'sub', 'b.txt'), 'utf8'), 'B');
    await assert.rejects(fs.stat(seenTmp), { code: 'ENOENT' });
    assert.deepEqual(await fs.readdir(path.dirname(finalDir)), ['step-000040']);
  });

  it('leaves nothing at the final path (and no temp folder) when the writer throws', async () => {
    const finalDir = path.join(dir, 'step-1');
    await assert.rejects(
      writeDirAtomically(finalDir, async (tmp) => {
        await fs.writeFile(path.join(tmp, 'model.safetensors'), 'half written');
        throw new Error('disk on fire');
      }),
      /disk on fire/,
    );
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('refuses an existing folder unless overwrite is set, then swaps it whole', async () => {
    const finalDir = path.join(dir, 'step-2');
    await writeDirAtomically(finalDir, (tmp) => fs.writeFile(path.join(tmp, 'old.txt'), 'old'));
    await assert.rejects(writeDirAtomically(finalDir, async () => undefined), (err: unknown) => {
      assert.ok(err instanceof CheckpointError);
      assert.match(err.message, /step-2.*already exists/);
      return true;
    });
    // A failing overwrite keeps the previous complete folder.
    await assert.rejects(writeDirAtomically(finalDir, async () => Promise.reject(new Error('boom')), { overwrite: true }));
    assert.deepEqual(await fs.readdir(finalDir), ['old.txt']);
    await writeDirAtomically(finalDir, (tmp) => fs.writeFile(path.join(tmp, 'new.txt'), 'new'), { overwrite: true });
    assert.deepEqual(await fs.readdir(finalDir), ['new.txt']);
    assert.deepEqual(await fs.readdir(dir), ['step-2']);
  });
});
