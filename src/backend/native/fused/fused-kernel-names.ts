import { ADAMW_KERNELS } from './adamw-kernel';
import { ATTENTION_CORE_KERNELS } from './attention-core-kernels';
import { ATTENTION_SOFTMAX_KERNELS } from './attention-softmax-kernels';
import { CROSS_ENTROPY_KERNELS } from './cross-entropy-kernels';
import { GELU_NORM_KERNELS } from './gelu-norm-kernels';
import { ROPE_PACKED_KERNELS } from './rope-packed-kernel';

/** Floe's own wasm kernels (not in tfjs) that exist only while the native addon is active. */
export const FUSED_KERNELS: readonly string[] = [...GELU_NORM_KERNELS, ...CROSS_ENTROPY_KERNELS, ...ADAMW_KERNELS, ...ATTENTION_SOFTMAX_KERNELS, ...ATTENTION_CORE_KERNELS, ...ROPE_PACKED_KERNELS];
