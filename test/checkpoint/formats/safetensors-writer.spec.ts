import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CheckpointError } from '../../../src/errors';
import { RawTensor, encodeSafetensors, writeSafetensors } from '../../../src/checkpoint/formats';
import { expectNoLeak } from '../../support/tensors';
import { makeTempDir } from '../temp-dir';
import { f32le, i32le } from './safetensors-bytes';

describe('encodeSafetensors', () => {
  it('writes length, sorted space-padded JSON header, then the data bytes', () => {
    const tensors = new Map<string, RawTensor>([
      ['b.bias', { dtype: 'I32', shape: [3], data: new Int32Array([1, -2, 3]) }],
      ['a.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1.5, -0, 3.25, -4]) }],
      ['flag', { dtype: 'BOOL', shape: [], data: new Uint8Array([1]) }],
    ]);
    const bytes = Buffer.from(encodeSafetensors(tensors, { format: 'pt' }));

    const json =
      '{"__metadata__":{"format":"pt"},' +
      '"a.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"b.bias":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
      '"flag":{"dtype":"BOOL","shape":[],"data_offsets":[28,29]}}';
    const padded = Math.ceil(json.length / 8) * 8;
    assert.equal(bytes.readBigUInt64LE(0), BigInt(padded));
    assert.equal(bytes.subarray(8, 8 + padded).toString('utf8'), json.padEnd(padded, ' '));
    assert.deepEqual([...bytes.subarray(8 + padded)], [...f32le(1.5, -0, 3.25, -4), ...i32le(1, -2, 3), 1]);
    assert.equal(bytes.length, 8 + padded + 29);
  });

  it('matches the published vector of the reference implementation byte for byte', () => {
    // huggingface/safetensors bindings/python/tests/test_simple.py, test_serialization:
    // save({"test": zeros((2, 2), int32)}).
    const expected = Buffer.concat([
      Buffer.from('@\x00\x00\x00\x00\x00\x00\x00', 'latin1'),
      Buffer.from('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    ', 'latin1'),
      Buffer.alloc(16),
    ]);
    const actual = encodeSafetensors({ test: { dtype: 'I32', shape: [2, 2], data: new Int32Array(4) } });
    assert.deepEqual(Buffer.from(actual), expected);
  });

  it('gives the same bytes whatever the insertion order', () => {
    const x: RawTensor = { dtype: 'U8', shape: [2], data: new Uint8Array([7, 8]) };
    const y: RawTensor = { dtype: 'F32', shape: [1], data: new Float32Array([2]) };
    assert.deepEqual(encodeSafetensors({ x, y }), encodeSafetensors(new Map([['y', y], ['x', x]])));
  });

  it('rejects data that does not match the shape or dtype', () => {
    assert.throws(
      () => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }),
      (err: unknown) => err instanceof CheckpointError && /'w'.*needs 4 elements, data has 3/.test(err.message),
    );
    assert.throws(
      () => encodeSafetensors({ w: { dtype: 'I32', shape: [1], data: new Float32Array(1) } }),
      (err: unknown) => err instanceof CheckpointError && /I32 data must be a Int32Array/.test(err.message),
    );
  });
});

describe('writeSafetensors', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it('writes tfjs tensors with async reads, without leaking or disposing them', async () => {
    const w = tf.tensor2d([[1, 2], [3, 4]]);
    const steps = tf.tensor1d([5, 6], 'int32');
    const mask = tf.tensor1d([true, false], 'bool');
    const file = path.join(dir, 'model.safetensors');
    await expectNoLeak(() => writeSafetensors(file, { w, steps, mask }, { metadata: { step: '40' } }));
    assert.equal(w.isDisposed, false);
    const bytes = Buffer.from(await fs.readFile(file));
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    assert.deepEqual(header, {
      __metadata__: { step: '40' },
      mask: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] },
      steps: { dtype: 'I32', shape: [2], data_offsets: [2, 10] },
      w: { dtype: 'F32', shape: [2, 2], data_offsets: [10, 26] },
    });
    assert.deepEqual([...bytes.subarray(8 + n)], [1, 0, ...i32le(5, 6), ...f32le(1, 2, 3, 4)]);
    tf.dispose([w, steps, mask]);
  });

  it('refuses tensors of a dtype safetensors cannot hold', async () => {
    const s = tf.tensor(['a'], [1], 'string');
    await assert.rejects(writeSafetensors(path.join(dir, 'x.safetensors'), { s }), /'s': dtype 'string'/);
    s.dispose();
    assert.deepEqual(await fs.readdir(dir), []);
  });
});
