import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { transposeBlocks } from './heap-loops';
import { asWasmBackend } from './wasm-backend-internals';

/**
 * A transpose that, once size-1 axes are dropped and axes that stay adjacent are merged, swaps
 * the last two axes of `[batch, rows, cols]`; undefined for any other permutation.
  * @internal
 */
export function asMatrixTranspose(shape: readonly number[], perm: readonly number[]): { batch: number; rows: number; cols: number } | undefined {
  // Renumber the axes longer than 1 (0, 1, 2, ... in input order), then group runs of
  // consecutive input axes in output order: each run moves as one contiguous block.
  const compact = new Map<number, number>();
  const sizes: number[] = [];
  shape.forEach((dim, axis) => {
    if (dim === 1) return;
    compact.set(axis, sizes.length);
    sizes.push(dim);
  });
  const groups: number[][] = [];
  for (const axis of perm) {
    const index = compact.get(axis);
    if (index === undefined) continue;
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] === index - 1) last.push(index);
    else groups.push([index]);
  }
  const size = (g: number[]): number => g.reduce((n, index) => n * sizes[index], 1);
  const ordered = (a: number[], b: number[]): boolean => a[0] < b[0];
  if (groups.length === 2 && !ordered(groups[0], groups[1])) {
    return { batch: 1, rows: size(groups[1]), cols: size(groups[0]) };
  }
  if (groups.length === 3 && ordered(groups[0], groups[2]) && !ordered(groups[1], groups[2])) {
    return { batch: size(groups[0]), rows: size(groups[2]), cols: size(groups[1]) };
  }
  return undefined;
}

/**
 * Floe's wasm `Transpose`: matrix transposes (2-D, or the last two axes of a batch, after
 * dropping size-1 axes) of 4-byte dtypes run as a tiled JS loop over the heap, ~4× faster than
 * the stock generic loop. Every other permutation goes to `stock`.
 */
export function createTransposeKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const perm = (args.attrs as NamedAttrMap).perm as number[];
    const matrix = x.dtype === 'float32' || x.dtype === 'int32' ? asMatrixTranspose(x.shape, perm) : undefined;
    if (matrix === undefined) {
      if (stock === undefined) throw new Error('Transpose on wasm: stock kernel missing');
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(
      perm.map((axis) => x.shape[axis]),
      x.dtype,
    );
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    transposeBlocks(src, dst, matrix.batch, matrix.rows, matrix.cols);
    return out;
  };
  return { kernelName: 'Transpose', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
