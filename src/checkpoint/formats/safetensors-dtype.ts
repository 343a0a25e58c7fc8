/** Element types of the safetensors format (the spec's spelling). */
export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL';

/** Typed array holding one tensor's elements; F16/BF16 keep their raw 16-bit patterns. */
export type RawTensorData =
  | Float64Array | Float32Array
  | BigInt64Array | BigUint64Array
  | Int32Array | Int16Array | Int8Array
  | Uint32Array | Uint16Array | Uint8Array;

/** A tensor as stored in a file: dtype, shape and its elements in row-major order. */
export interface RawTensor {
  /** Element type. */
  dtype: SafetensorsDtype;
  /** Dimensions; `[]` is a scalar. */
  shape: number[];
  /** Elements, `product(shape)` of them, in the array type {@link SAFETENSORS_DTYPES} names. */
  data: RawTensorData;
}

/** Byte width and typed array class of one dtype. */
export interface SafetensorsDtypeInfo {
  /** Bytes per element. */
  bytes: number;
  /** Array class whose elements are the stored values (or raw bits, for F16/BF16). */
  arrayType: new (buffer: ArrayBuffer) => RawTensorData;
}

/** Every dtype Floe reads and writes. F8 variants are not supported (tfjs has no use for them). */
export const SAFETENSORS_DTYPES: Readonly<Record<SafetensorsDtype, SafetensorsDtypeInfo>> = {
  F64: { bytes: 8, arrayType: Float64Array },
  F32: { bytes: 4, arrayType: Float32Array },
  F16: { bytes: 2, arrayType: Uint16Array },
  BF16: { bytes: 2, arrayType: Uint16Array },
  I64: { bytes: 8, arrayType: BigInt64Array },
  I32: { bytes: 4, arrayType: Int32Array },
  I16: { bytes: 2, arrayType: Int16Array },
  I8: { bytes: 1, arrayType: Int8Array },
  U64: { bytes: 8, arrayType: BigUint64Array },
  U32: { bytes: 4, arrayType: Uint32Array },
  U16: { bytes: 2, arrayType: Uint16Array },
  U8: { bytes: 1, arrayType: Uint8Array },
  BOOL: { bytes: 1, arrayType: Uint8Array },
};

/** True when `name` is a dtype listed in {@link SAFETENSORS_DTYPES}. */
export function isSafetensorsDtype(name: unknown): name is SafetensorsDtype {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPES, name);
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
