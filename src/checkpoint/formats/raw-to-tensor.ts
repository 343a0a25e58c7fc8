import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from './half-float';
import { RawTensor } from './safetensors-dtype';

function toInt32(name: string, values: ArrayLike<number | bigint>): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    // tfjs has no 64-bit or unsigned ints; refuse rather than silently wrap.
    if (v < -2147483648 || v > 2147483647) {
      throw new CheckpointError(`Tensor '${name}' holds ${String(values[i])} at index ${i}, outside the int32 range tfjs supports.`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Converts a raw tensor to a tfjs tensor: F32/F16/BF16/F64 → float32, integer types → int32
 * (out-of-range values are a CheckpointError), BOOL → bool. The caller owns the result.
 *
 * @param name used in error messages.
 */
export function rawToTensor(raw: RawTensor, name = 'tensor'): tf.Tensor {
  const { dtype, shape, data } = raw;
  switch (dtype) {
    case 'F32':
      return tf.tensor(data as Float32Array, shape, 'float32');
    case 'F64':
      return tf.tensor(Float32Array.from(data as Float64Array), shape, 'float32');
    case 'F16':
      return tf.tensor(float16BitsToFloat32(data as Uint16Array), shape, 'float32');
    case 'BF16':
      return tf.tensor(bfloat16BitsToFloat32(data as Uint16Array), shape, 'float32');
    case 'I32':
      return tf.tensor(data as Int32Array, shape, 'int32');
    case 'BOOL':
      return tf.tensor(data as Uint8Array, shape, 'bool');
    default:
      return tf.tensor(toInt32(name, data as ArrayLike<number | bigint>), shape, 'int32');
  }
}
