import { ProtoReader } from './protobuf-reader';
import { ProtoWriter } from './protobuf-writer';

/** One `Summary.Value` with a scalar. */
export interface ScalarValue {
  /** Series name, e.g. `train/loss`. */
  tag: string;
  /** The value (stored as float32, as TensorBoard's `simple_value` is). */
  value: number;
}

/** The parts of TensorBoard's `Event` proto Floe writes and reads. */
export interface TensorBoardEvent {
  /** Seconds since the Unix epoch. */
  wallTime: number;
  /** Global step. */
  step: number;
  /** Set on the first record of a file: `brain.Event:2`. */
  fileVersion?: string;
  /** Scalar summary values. */
  scalars?: ScalarValue[];
  /**
   * A `SessionLog` START: a (re)started run writes from this step on, so readers drop points an
   * earlier file holds at this step or later (TensorBoard's purge of orphaned data, as PyTorch's
   * `SummaryWriter(purge_step=…)` writes it).
   */
  sessionStart?: boolean;
}

// Field numbers from tensorflow/core/util/event.proto and framework/summary.proto.
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5, sessionLog: 6 } as const;
// SessionLog.status is field 1; its enum value START is 1.
const SESSION_LOG = { status: 1, start: 1 } as const;
const SUMMARY = { value: 1 } as const;
const VALUE = { tag: 1, simpleValue: 2, tensor: 8 } as const;
const TENSOR = { dtype: 1, content: 4, floatVal: 5, doubleVal: 6 } as const;
const DT_FLOAT = 1n;
const DT_DOUBLE = 2n;

/** Encodes an `Event` proto. Zero wall time and step are omitted, as proto3 does. */
export function encodeTensorBoardEvent(event: TensorBoardEvent): Uint8Array {
  const w = new ProtoWriter();
  if (event.wallTime !== 0) w.double(EVENT.wallTime, event.wallTime);
  if (event.step !== 0) w.int64(EVENT.step, Math.trunc(event.step));
  if (event.fileVersion !== undefined) w.string(EVENT.fileVersion, event.fileVersion);
  if (event.sessionStart === true) w.message(EVENT.sessionLog, (m) => m.int64(SESSION_LOG.status, SESSION_LOG.start));
  if (event.scalars !== undefined) {
    w.message(EVENT.summary, (s) => {
      for (const { tag, value } of event.scalars ?? []) {
        s.message(SUMMARY.value, (v) => v.string(VALUE.tag, tag).float(VALUE.simpleValue, value));
      }
    });
  }
  return w.finish();
}

function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** First element of a scalar `TensorProto` (TF2 `tf.summary.scalar` writes these). */
function decodeTensorScalar(bytes: Uint8Array): number | undefined {
  let dtype = 0n;
  let content: Uint8Array | undefined;
  let value: number | undefined;
  for (const f of new ProtoReader(bytes).fields()) {
    if (f.field === TENSOR.dtype && f.varint !== undefined) dtype = f.varint;
    else if (f.field === TENSOR.content) content = f.bytes;
    else if (f.field === TENSOR.floatVal && f.bytes !== undefined && f.bytes.length >= 4 && value === undefined) value = dataView(f.bytes).getFloat32(0, true);
    else if (f.field === TENSOR.doubleVal && f.bytes !== undefined && f.bytes.length >= 8 && value === undefined) value = dataView(f.bytes).getFloat64(0, true);
  }
  if (value !== undefined) return value;
  if (content !== undefined && dtype === DT_FLOAT && content.length >= 4) return dataView(content).getFloat32(0, true);
  if (content !== undefined && dtype === DT_DOUBLE && content.length >= 8) return dataView(content).getFloat64(0, true);
  return undefined;
}

function decodeValue(bytes: Uint8Array): ScalarValue | undefined {
  const decoder = new TextDecoder();
  let tag = '';
  let value: number | undefined;
  for (const f of new ProtoReader(bytes).fields()) {
    if (f.field === VALUE.tag && f.bytes !== undefined) tag = decoder.decode(f.bytes);
    else if (f.field === VALUE.simpleValue && f.bytes !== undefined) value = dataView(f.bytes).getFloat32(0, true);
    else if (f.field === VALUE.tensor && f.bytes !== undefined) value = decodeTensorScalar(f.bytes);
  }
  return value === undefined ? undefined : { tag, value };
}

/** Decodes an `Event` proto; summary values that are not scalars (images, histograms) are skipped. */
export function decodeTensorBoardEvent(bytes: Uint8Array): TensorBoardEvent {
  const event: TensorBoardEvent = { wallTime: 0, step: 0 };
  for (const f of new ProtoReader(bytes).fields()) {
    if (f.field === EVENT.wallTime && f.bytes !== undefined) event.wallTime = dataView(f.bytes).getFloat64(0, true);
    else if (f.field === EVENT.step && f.varint !== undefined) event.step = Number(BigInt.asIntN(64, f.varint));
    else if (f.field === EVENT.fileVersion && f.bytes !== undefined) event.fileVersion = new TextDecoder().decode(f.bytes);
    else if (f.field === EVENT.sessionLog && f.bytes !== undefined) {
      for (const s of new ProtoReader(f.bytes).fields()) if (s.field === SESSION_LOG.status && s.varint === BigInt(SESSION_LOG.start)) event.sessionStart = true;
    }
    else if (f.field === EVENT.summary && f.bytes !== undefined) {
      const scalars: ScalarValue[] = [];
      for (const v of new ProtoReader(f.bytes).fields()) {
        if (v.field !== SUMMARY.value || v.bytes === undefined) continue;
        const scalar = decodeValue(v.bytes);
        if (scalar !== undefined) scalars.push(scalar);
      }
      event.scalars = scalars;
    }
  }
  return event;
}
