import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CheckpointError } from '../../../src/errors';
import { MANIFEST_FILE_NAME, verifyManifest, writeDirAtomically, writeManifest } from '../../../src/checkpoint/io';
import { makeTempDir } from '../temp-dir';

function expectCheckpointError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('checkpoint manifest', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let ckpt: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    ckpt = path.join(dir, 'step-000040');
    await writeDirAtomically(ckpt, async (tmp) => {
      await fs.writeFile(path.join(tmp, 'model.safetensors'), Buffer.from([1, 2, 3, 4, 5]));
      await fs.mkdir(path.join(tmp, 'extra'));
      await fs.writeFile(path.join(tmp, 'extra', 'trainer-state.json'), '{"step":40}');
      await writeManifest(tmp);
    });
  });
  afterEach(() => cleanup());

  it('lists every file with its size and sha256', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(ckpt, MANIFEST_FILE_NAME), 'utf8'));
    const sha = (s: Buffer | string): string => createHash('sha256').update(s).digest('hex');
    assert.deepEqual(manifest.files, [
      { path: 'extra/trainer-state.json', size: 11, sha256: sha('{"step":40}') },
      { path: 'model.safetensors', size: 5, sha256: sha(Buffer.from([1, 2, 3, 4, 5])) },
    ]);
    assert.equal((await verifyManifest(ckpt)).files.length, 2);
  });

  it('names the file whose byte was flipped', async () => {
    const file = path.join(ckpt, 'model.safetensors');
    const bytes = await fs.readFile(file);
    bytes[2] ^= 0x01;
    await fs.writeFile(file, bytes);
    await assert.rejects(verifyManifest(ckpt), expectCheckpointError(/'model\.safetensors': sha256 mismatch/));
  });

  it('names missing and resized files', async () => {
    await fs.rm(path.join(ckpt, 'model.safetensors'));
    await fs.appendFile(path.join(ckpt, 'extra', 'trainer-state.json'), ' ');
    await assert.rejects(
      verifyManifest(ckpt),
      expectCheckpointError(/'extra\/trainer-state\.json': size is 12 bytes, manifest says 11[\s\S]*'model\.safetensors': file is missing/),
    );
  });

  it('names each malformed entry field and what it should hold', async () => {
    const file = path.join(ckpt, MANIFEST_FILE_NAME);
    const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as { files: Array<Record<string, unknown>> };
    manifest.files[0].size = '5';
    manifest.files[1].sha256 = 'abc';
    delete manifest.files[1].path;
    await fs.writeFile(file, JSON.stringify({ ...manifest, files: [...manifest.files, 7] }));
    await assert.rejects(
      verifyManifest(ckpt),
      expectCheckpointError(
        /is malformed: files\[0\]\.size is "5", expected a whole number of bytes; files\[1\]\.path is missing, expected a file path; files\[1\]\.sha256 is "abc", expected 64 hex digits; files\[2\] is 7, expected \{ path, size, sha256 \}\. Expected/,
      ),
    );
    await fs.writeFile(file, JSON.stringify({ ...manifest, files: [{ ...manifest.files[0], size: 5 }] }).replace('"size":5', '"size":1e400'));
    await assert.rejects(verifyManifest(ckpt), expectCheckpointError(/files\[0\]\.size is Infinity, expected a whole number of bytes/));
    await fs.writeFile(file, JSON.stringify({ ...manifest, files: undefined }));
    await assert.rejects(verifyManifest(ckpt), expectCheckpointError(/is malformed: files is missing, expected a list\./));
  });

  it('rejects a missing or unparsable manifest', async () => {
    await fs.writeFile(path.join(ckpt, MANIFEST_FILE_NAME), '{ nope');
    await assert.rejects(verifyManifest(ckpt), expectCheckpointError(/manifest\.json:1:3' is not valid JSON: Expected property name/));
    await fs.rm(path.join(ckpt, MANIFEST_FILE_NAME));
    await assert.rejects(verifyManifest(ckpt), expectCheckpointError(/manifest\.json' cannot be read/));
  });
});
