import type { DataId, DataType, TensorInfo, TypedArray } from '@tensorflow/tfjs-core';

/** A function exported by the wasm module, wrapped by Emscripten's `cwrap`. */
export type WasmFunction = (...args: unknown[]) => unknown;

/** The parts of the Emscripten module of `@tensorflow/tfjs-backend-wasm` that Floe's kernels use. */
export interface WasmModuleInternals {
  cwrap(ident: string, returnType: string | null, argTypes: string[]): WasmFunction;
  HEAPU8: Uint8Array;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

/** Per-dataId record kept by the wasm backend. */
export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

/**
 * The parts of `BackendWasm` (tfjs-backend-wasm 4.22) that Floe's kernels use. Typed here
 * because `dataIdNextNumber` is private in the published typings; the kernel tests pin this
 * shape, so a tfjs upgrade that changes it fails loudly there.
 */
export interface WasmBackendInternals {
  wasm: WasmModuleInternals;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: DataId): WasmTensorData | undefined; has(dataId: DataId): boolean };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
  typedArrayFromHeap(info: TensorInfo): TypedArray;
}

/** Narrows a kernel's `backend` argument to the wasm internals Floe relies on. */
export function asWasmBackend(backend: unknown): WasmBackendInternals {
  return backend as WasmBackendInternals;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendInternals, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('Tensor data is not on the wasm backend (disposed?)');
  return data.memoryOffset;
}

/**
 * The whole wasm heap as 4-byte words, for block copies between tensors with `copyWithin`: one
 * view per kernel call instead of a `subarray` per row (thousands of short-lived objects per step
 * that the garbage collector then has to sweep). Only for float32/int32 data, whose offsets are
 * 4-byte aligned. Take it after every allocation: a growing heap detaches earlier views.
 */
export function heapWords(backend: WasmBackendInternals): Int32Array {
  const buffer = backend.wasm.HEAPU8.buffer;
  return new Int32Array(buffer, 0, buffer.byteLength >>> 2);
}

/** Word index of a float32/int32 tensor's first element in {@link heapWords}. */
export function heapWord(backend: WasmBackendInternals, info: TensorInfo): number {
  return heapOffset(backend, info) >>> 2;
}
