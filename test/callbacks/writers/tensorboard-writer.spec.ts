import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  TENSORBOARD_FILE_VERSION,
  TensorBoardWriter,
  crc32c,
  decodeTensorBoardEvent,
  decodeTfRecords,
  encodeTensorBoardEvent,
  encodeTfRecord,
  readTensorBoardEvents,
} from '../../../src/callbacks/writers';
import { makeTempDir } from '../../checkpoint/temp-dir';

const hex = (s: string): number[] => [...Buffer.from(s.replace(/\s+/g, ''), 'hex')];

/** TFRecord framing built with Buffer, independently of encodeTfRecord. */
function frame(data: number[]): number[] {
  const masked = (b: Uint8Array): number => {
    const c = crc32c(b);
    return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
  };
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const crcs = Buffer.alloc(8);
  crcs.writeUInt32LE(masked(len), 0);
  crcs.writeUInt32LE(masked(Uint8Array.from(data)), 4);
  return [...len, ...crcs.subarray(0, 4), ...data, ...crcs.subarray(4)];
}

describe('TensorBoard event encoding', () => {
  // Event{ wall_time: 1.5, step: 3, summary { value { tag: "loss" simple_value: 0.25 } } }, by hand:
  const scalarEvent = hex(`
    09 000000000000f83f
    10 03
    2a 0d  0a 0b  0a 04 6c6f7373  15 0000803e`);

  it('encodes Event/Summary/Value protos byte for byte', () => {
    const bytes = encodeTensorBoardEvent({ wallTime: 1.5, step: 3, scalars: [{ tag: 'loss', value: 0.25 }] });
    assert.deepEqual([...bytes], scalarEvent);
    const version = encodeTensorBoardEvent({ wallTime: 0, step: 0, fileVersion: 'brain.Event:2' });
    assert.deepEqual([...version], [0x1a, 13, ...Buffer.from('brain.Event:2')]);
  });

  it('encodes large and negative steps as 64-bit varints', () => {
    assert.deepEqual([...encodeTensorBoardEvent({ wallTime: 0, step: 300 })], hex('10 ac02'));
    assert.deepEqual([...encodeTensorBoardEvent({ wallTime: 0, step: -1 })], hex('10 ffffffffffffffffff01'));
    assert.equal(decodeTensorBoardEvent(encodeTensorBoardEvent({ wallTime: 2, step: -1 })).step, -1);
    assert.equal(decodeTensorBoardEvent(encodeTensorBoardEvent({ wallTime: 2, step: 2 ** 40 })).step, 2 ** 40);
  });

  it('frames records as TFRecord and decodes them back', () => {
    const record = encodeTfRecord(Uint8Array.from(scalarEvent));
    assert.deepEqual([...record], frame(scalarEvent));
    const [data] = decodeTfRecords(record, 'mem');
    assert.deepEqual(decodeTensorBoardEvent(data), { wallTime: 1.5, step: 3, scalars: [{ tag: 'loss', value: 0.25 }] });
  });

  it('encodes a SessionLog START (what PyTorch\'s purge_step writes) and reads it back', () => {
    // Event{ step: 7, session_log { status: START } }: field 6, length 2, status (field 1) = 1.
    assert.deepEqual([...encodeTensorBoardEvent({ wallTime: 0, step: 7, sessionStart: true })], hex('10 07 32 02 08 01'));
    assert.deepEqual(decodeTensorBoardEvent(Uint8Array.from(hex('10 07 32 02 08 01'))), { wallTime: 0, step: 7, sessionStart: true });
    // STOP (2) is not a start.
    assert.equal(decodeTensorBoardEvent(Uint8Array.from(hex('10 07 32 02 08 02'))).sessionStart, undefined);
  });

  it('reads TF2-style tensor scalars (tf.summary.scalar)', () => {
    // Value{ tag: "acc", tensor: TensorProto{ dtype: DT_FLOAT, tensor_shape {}, float_val: [0.5] } }
    const value = hex('0a 03 616363  42 0a 08 01 12 00 2a 04 0000003f');
    const event = hex(`10 07 2a ${(value.length + 2).toString(16).padStart(2, '0')} 0a ${value.length.toString(16).padStart(2, '0')}`).concat(value);
    assert.deepEqual(decodeTensorBoardEvent(Uint8Array.from(event)).scalars, [{ tag: 'acc', value: 0.5 }]);
  });
});

describe('TensorBoardWriter', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it('writes events.out.tfevents.<seconds>.<host> starting with the file version', async () => {
    let ms = 1_700_000_000_250;
    const writer = await TensorBoardWriter.create(path.join(dir, 'logs'), { hostname: 'box', now: () => ms });
    assert.equal(path.basename(writer.file), 'events.out.tfevents.1700000000.box');
    ms += 1000;
    // Not awaited one by one: order must still hold.
    void writer.addScalar('train/loss', 2.5, 1);
    void writer.addScalars({ 'train/loss': 2.25, 'train/lr': 3e-4 }, 2);
    await writer.flush();
    const live = await readTensorBoardEvents(writer.file);
    assert.equal(live.length, 3);
    await writer.close();

    const bytes = await fs.readFile(writer.file);
    const events = decodeTfRecords(bytes, writer.file, { allowTruncatedTail: false }).map(decodeTensorBoardEvent);
    assert.deepEqual(events, [
      { wallTime: 1_700_000_000.25, step: 0, fileVersion: TENSORBOARD_FILE_VERSION },
      { wallTime: 1_700_000_001.25, step: 1, scalars: [{ tag: 'train/loss', value: 2.5 }] },
      { wallTime: 1_700_000_001.25, step: 2, scalars: [{ tag: 'train/loss', value: 2.25 }, { tag: 'train/lr', value: Math.fround(3e-4) }] },
    ]);
    // The first record is exactly the framed file_version event.
    const first = encodeTensorBoardEvent({ wallTime: 1_700_000_000.25, step: 0, fileVersion: 'brain.Event:2' });
    assert.deepEqual([...bytes.subarray(0, first.length + 16)], frame([...first]));
  });

  it('does not clobber a file created in the same second', async () => {
    const opts = { hostname: 'h', now: () => 5000 };
    const a = await TensorBoardWriter.create(dir, opts);
    const b = await TensorBoardWriter.create(dir, opts);
    assert.notEqual(a.file, b.file);
    await Promise.all([a.close(), b.close()]);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['events.out.tfevents.5.h', 'events.out.tfevents.5.h.1']);
  });

  it('tolerates a half-written last record but reports a corrupted one with file and record', async () => {
    const writer = await TensorBoardWriter.create(dir, { hostname: 'h' });
    await writer.addScalar('x', 1, 1);
    await writer.close();
    const bytes = await fs.readFile(writer.file);
    await fs.writeFile(writer.file, bytes.subarray(0, bytes.length - 3));
    assert.equal((await readTensorBoardEvents(writer.file)).length, 1);
    await assert.rejects(readTensorBoardEvents(writer.file, { strict: true }), /record 1 .*truncated data/);
    bytes[bytes.length - 6] ^= 0x40;
    await fs.writeFile(writer.file, bytes);
    await assert.rejects(readTensorBoardEvents(writer.file), (err: Error) => err.message.includes(writer.file) && /record 1 .*data checksum mismatch/.test(err.message));
  });
});
