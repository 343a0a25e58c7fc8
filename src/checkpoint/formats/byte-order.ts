import { endianness } from 'os';
import { RawTensorData, SAFETENSORS_DTYPES, SafetensorsDtype } from './safetensors-dtype';

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

function swapInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/** The little-endian bytes of a typed array (a copy; byte-swapped on big-endian hosts). */
export function toLittleEndianBytes(data: RawTensorData): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!HOST_IS_LITTLE_ENDIAN) swapInPlace(bytes, data.BYTES_PER_ELEMENT);
  return bytes;
}

/**
 * A typed array of `dtype` over a copy of little-endian `bytes`. Copying also aligns the data:
 * a tensor's offset inside a file need not be a multiple of its element size.
 */
export function fromLittleEndianBytes(bytes: Uint8Array, dtype: SafetensorsDtype): RawTensorData {
  const info = SAFETENSORS_DTYPES[dtype];
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (!HOST_IS_LITTLE_ENDIAN) swapInPlace(copy, info.bytes);
  return new info.arrayType(copy.buffer);
}
