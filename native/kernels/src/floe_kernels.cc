// N-API surface of Floe's native kernels. Every kernel works in place on the wasm heap: the
// caller passes the heap (a Uint8Array over the WebAssembly.Memory buffer, which may be a
// SharedArrayBuffer, or the ArrayBuffer itself) and byte offsets into it. The heap is re-read on
// every call, and every range is checked against its current length: a detached buffer (length 0
// after the heap grew) or an out-of-range offset raises a JS error and touches nothing.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "kernels.h"
#include "napi_util.h"

namespace {

using namespace floe::napi;

napi_value SetString(napi_env env, napi_value object, const char* key, const char* value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, object, key, v);
  return object;
}

// info() -> { isa, detectedIsa, compiler }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value result;
  CHECK_NAPI(env, napi_create_object(env, &result));
  SetString(env, result, "isa", floe::IsaName(floe::ActiveIsa()));
  SetString(env, result, "detectedIsa", floe::IsaName(floe::DetectIsa()));
#if defined(__clang__)
  SetString(env, result, "compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  SetString(env, result, "compiler", "gcc " __VERSION__);
#else
  SetString(env, result, "compiler", "unknown");
#endif
  return result;
}

// setIsa('avx512' | 'avx2' | 'none') -> boolean (false if the CPU lacks it)
napi_value SetIsa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  char name[16] = {0};
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &len) != napi_ok) return Throw(env, "setIsa(name)");
  floe::Isa isa;
  if (std::strcmp(name, "avx512") == 0) {
    isa = floe::Isa::kAvx512;
  } else if (std::strcmp(name, "avx2") == 0) {
    isa = floe::Isa::kAvx2;
  } else if (std::strcmp(name, "none") == 0) {
    isa = floe::Isa::kNone;
  } else {
    return Throw(env, "setIsa: expected 'avx512', 'avx2' or 'none'");
  }
  napi_value result;
  CHECK_NAPI(env, napi_get_boolean(env, floe::SetIsa(isa), &result));
  return result;
}

// gemm(heap, aOffset, bOffset, cOffset, biasOffset (-1: none), batch, m, n, k, transposeA,
//      transposeB, aBatchStride, bBatchStride, activation (0 linear, 1 relu, 2 relu6))
// Offsets in bytes, batch strides in floats (0 repeats one matrix). C is [batch, m, n].
napi_value GemmCall(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  Heap heap;
  if (!KernelPrologue(env, info, "gemm", 14, argv, &heap, true)) return nullptr;
  int64_t a_off, b_off, c_off, bias_off, batch, m, n, k, a_stride, b_stride, act;
  bool trans_a, trans_b;
  if (!GetIndex(env, argv[1], &a_off) || !GetIndex(env, argv[2], &b_off) || !GetIndex(env, argv[3], &c_off) ||
      !GetIndex(env, argv[4], &bias_off, true) || !GetIndex(env, argv[5], &batch) || !GetIndex(env, argv[6], &m) ||
      !GetIndex(env, argv[7], &n) || !GetIndex(env, argv[8], &k) || !GetBool(env, argv[9], &trans_a) ||
      !GetBool(env, argv[10], &trans_b) || !GetIndex(env, argv[11], &a_stride) || !GetIndex(env, argv[12], &b_stride) ||
      !GetIndex(env, argv[13], &act)) {
    return Throw(env, "gemm: offsets and sizes must be non-negative integers, transposes booleans");
  }
  if (act > 2) return Throw(env, "gemm: activation must be 0 (linear), 1 (relu) or 2 (relu6)");
  if (m > kMaxDim || n > kMaxDim || k > kMaxDim || batch > kMaxDim) {
    return Throw(env, "gemm: dimension too large");
  }
  if (batch == 0 || m == 0 || n == 0) return nullptr;
  const int64_t last = batch - 1;
  Range ra, rb, rc, rbias;
  if (!CheckRange(heap, a_off, last * a_stride + m * k, &ra) || !CheckRange(heap, b_off, last * b_stride + k * n, &rb) ||
      !CheckRange(heap, c_off, batch * m * n, &rc) || (bias_off >= 0 && !CheckRange(heap, bias_off, n, &rbias))) {
    return Throw(env, "gemm: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rc, ra) || Overlaps(rc, rb) || (bias_off >= 0 && Overlaps(rc, rbias))) return Throw(env, "gemm: output overlaps an input");
  floe::GemmProblem p;
  p.bias = bias_off >= 0 ? reinterpret_cast<const float*>(heap.data + bias_off) : nullptr;
  p.m = m;
  p.n = n;
  p.k = k;
  p.trans_a = trans_a;
  p.trans_b = trans_b;
  p.activation = static_cast<floe::Activation>(act);
  for (int64_t i = 0; i < batch; i++) {
    p.a = reinterpret_cast<const float*>(heap.data + a_off) + i * a_stride;
    p.b = reinterpret_cast<const float*>(heap.data + b_off) + i * b_stride;
    p.c = reinterpret_cast<float*>(heap.data + c_off) + i * m * n;
    floe::Gemm(p);
  }
  return nullptr;
}

// copyRows(heap, fromOffset, fromStride, toOffset, toStride, rows, length): row r's `length`
// 32-bit words go from fromOffset + 4·r·fromStride to toOffset + 4·r·toStride (offsets in bytes,
// strides and length in words). One memcpy per row: JS pays ~1.5 ns a word on short rows.
napi_value CopyRowsCall(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Heap heap;
  if (!KernelPrologue(env, info, "copyRows", 7, argv, &heap, false)) return nullptr;
  int64_t from, from_stride, to, to_stride, rows, length;
  if (!GetIndex(env, argv[1], &from) || !GetIndex(env, argv[2], &from_stride) || !GetIndex(env, argv[3], &to) || !GetIndex(env, argv[4], &to_stride) ||
      !GetIndex(env, argv[5], &rows) || !GetIndex(env, argv[6], &length)) {
    return Throw(env, "copyRows: offsets, strides and sizes must be non-negative integers");
  }
  if (rows > kMaxDim || length > kMaxDim || from_stride > kMaxDim || to_stride > kMaxDim) return Throw(env, "copyRows: dimension too large");
  if (rows == 0 || length == 0) return nullptr;
  if (from_stride < length || to_stride < length) return Throw(env, "copyRows: strides must be at least the row length");
  Range rf, rt;
  if (!CheckRange(heap, from, (rows - 1) * from_stride + length, &rf) || !CheckRange(heap, to, (rows - 1) * to_stride + length, &rt)) {
    return Throw(env, "copyRows: a range lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rf, rt)) return Throw(env, "copyRows: the destination overlaps the source");
  const size_t bytes = static_cast<size_t>(length) * 4;
  for (int64_t r = 0; r < rows; r++) std::memcpy(heap.data + to + 4 * r * to_stride, heap.data + from + 4 * r * from_stride, bytes);
  return nullptr;
}

// sumSlots(dst, dstOffset, src, srcOffset, srcStride, count, n): dst[i] = src_0[i] + src_1[i] +
// ... + src_{count-1}[i] for i < n, where src_r starts at srcOffset + 4·r·srcStride (offsets in
// bytes, stride in floats). float32 adds in slot order, so the bits equal JS's
// Math.fround(Math.fround(a + b) + c)...: the data-parallel all-reduce gives every rank the same
// sum whichever path each takes. dst and src are separate arguments: the slots live in a
// SharedArrayBuffer, dst in the rank's own array. ~4.5x faster than the JS loop (not vectorised).
napi_value SumSlotsCall(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Heap dst;
  if (!KernelPrologue(env, info, "sumSlots", 7, argv, &dst, false)) return nullptr;
  Heap src;
  if (!GetHeap(env, argv[2], &src)) return Throw(env, "sumSlots: src must be a typed array or ArrayBuffer");
  int64_t dst_offset, src_offset, stride, count, n;
  if (!GetIndex(env, argv[1], &dst_offset) || !GetIndex(env, argv[3], &src_offset) || !GetIndex(env, argv[4], &stride) || !GetIndex(env, argv[5], &count) ||
      !GetIndex(env, argv[6], &n)) {
    return Throw(env, "sumSlots: offsets, stride and sizes must be non-negative integers");
  }
  if (stride > kMaxDim || count > kMaxDim || n > kMaxDim) return Throw(env, "sumSlots: dimension too large");
  if (count == 0 || n == 0) return nullptr;
  if (stride < n) return Throw(env, "sumSlots: the stride must be at least n (slots must not overlap)");
  Range rd, rs;
  if (!CheckRange(dst, dst_offset, n, &rd) || !CheckRange(src, src_offset, (count - 1) * stride + n, &rs)) {
    return Throw(env, "sumSlots: a range lies outside its array or is not 4-byte aligned");
  }
  float* out = reinterpret_cast<float*>(dst.data + dst_offset);
  const float* in = reinterpret_cast<const float*>(src.data + src_offset);
  const uintptr_t ob = reinterpret_cast<uintptr_t>(out), oe = ob + 4 * static_cast<uintptr_t>(n);
  const uintptr_t ib = reinterpret_cast<uintptr_t>(in), ie = ib + 4 * static_cast<uintptr_t>((count - 1) * stride + n);
  if (ob < ie && ib < oe) return Throw(env, "sumSlots: the destination overlaps the slots");
  floe::SumSlots(in, stride, count, n, out);
  return nullptr;
}

// adviseHugePages(heap): asks Linux to back the heap's whole 2 MiB pages with transparent huge
// pages (madvise MADV_HUGEPAGE: with THP in its usual "madvise" mode nothing is huge without it),
// then collapses the pages already touched (MADV_COLLAPSE, Linux 6.1+; skipped where missing).
// Fewer TLB misses on the wasm heap: ~3% off a reference step. Returns whether the advice took.
napi_value AdviseHugePages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Heap heap;
  bool ok = false;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc == 1 && GetHeap(env, argv[0], &heap)) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    constexpr int kMadvCollapse = 25;  // MADV_COLLAPSE, absent from older headers
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(heap.data) + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(heap.data) + heap.length) & ~(kHuge - 1);
    if (end > begin) {
      ok = madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE) == 0;
      if (ok) madvise(reinterpret_cast<void*>(begin), end - begin, kMadvCollapse);
    }
#endif
  }
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

// sumRows(heap, xOffset, outOffset, rows, cols): out[c] = sum_r x[r, c]
napi_value SumRowsCall(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Heap heap;
  if (!KernelPrologue(env, info, "sumRows", 5, argv, &heap, false)) return nullptr;
  int64_t x_off, out_off, rows, cols;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &out_off) || !GetIndex(env, argv[3], &rows) ||
      !GetIndex(env, argv[4], &cols) || rows > kMaxDim || cols > kMaxDim) {
    return Throw(env, "sumRows: offsets and sizes must be non-negative integers");
  }
  Range rx, ro;
  if (!CheckRange(heap, x_off, rows * cols, &rx) || !CheckRange(heap, out_off, cols, &ro)) {
    return Throw(env, "sumRows: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rx, ro)) return Throw(env, "sumRows: output overlaps the input");
  floe::SumRows(reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<float*>(heap.data + out_off), rows, cols);
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemm", nullptr, GemmCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sumRows", nullptr, SumRowsCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adviseHugePages", nullptr, AdviseHugePages, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"copyRows", nullptr, CopyRowsCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sumSlots", nullptr, SumSlotsCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  floe::RegisterGeluNorm(env, exports);
  floe::RegisterCrossEntropy(env, exports);
  floe::RegisterAdamW(env, exports);
  floe::RegisterAttentionSoftmax(env, exports);
  floe::RegisterAttentionCore(env, exports);
  floe::RegisterRopePacked(env, exports);
  floe::RegisterConvFilterGrad(env, exports);
  floe::RegisterConvInputGrad(env, exports);
  floe::RegisterConvForward(env, exports);
  floe::RegisterMaxPoolGrad(env, exports);
  return exports;
}
