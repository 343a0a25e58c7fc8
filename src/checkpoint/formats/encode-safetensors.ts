import { CheckpointError } from '../../errors';
import { toLittleEndianBytes } from './byte-order';
import { RawTensor, SAFETENSORS_DTYPES, elementCount } from './safetensors-dtype';
import { SAFETENSORS_METADATA_KEY } from './safetensors-header';

/** Named raw tensors, as a Map or a plain record. */
export type RawTensorMap = ReadonlyMap<string, RawTensor> | Readonly<Record<string, RawTensor>>;

function entriesOf(tensors: RawTensorMap): [string, RawTensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, RawTensor>);
}

function check(name: string, t: RawTensor): void {
  const info = SAFETENSORS_DTYPES[t.dtype];
  if (info === undefined) throw new CheckpointError(`Cannot write tensor '${name}': unsupported dtype '${t.dtype}'.`);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new CheckpointError(`Cannot write tensor '${name}': invalid shape ${JSON.stringify(t.shape)}.`);
  }
  if (!(t.data instanceof info.arrayType)) {
    throw new CheckpointError(`Cannot write tensor '${name}': ${t.dtype} data must be a ${info.arrayType.name}, got ${t.data.constructor.name}.`);
  }
  if (t.data.length !== elementCount(t.shape)) {
    throw new CheckpointError(`Cannot write tensor '${name}': shape ${JSON.stringify(t.shape)} needs ${elementCount(t.shape)} elements, data has ${t.data.length}.`);
  }
}

/**
 * Serialises tensors to safetensors bytes: u64 LE header length, the JSON header (padded with
 * spaces to a multiple of 8 bytes so the data section is aligned), then each tensor's bytes.
 * Tensors are laid out sorted by name, so the same tensors always give the same file.
 */
export function encodeSafetensors(tensors: RawTensorMap, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const named = entriesOf(tensors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(`Cannot write safetensors metadata '${k}': value must be a string.`);
    }
    header[SAFETENSORS_METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  for (const [name, t] of named) {
    if (name === SAFETENSORS_METADATA_KEY) throw new CheckpointError(`Cannot write a tensor named '${SAFETENSORS_METADATA_KEY}': the name is reserved.`);
    check(name, t);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const [, t] of named) {
    out.set(toLittleEndianBytes(t.data), cursor);
    cursor += t.data.byteLength;
  }
  return out;
}
