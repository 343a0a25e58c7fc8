// N-API entry points of the fused GELU/SiLU and LayerNorm/RMSNorm kernels (forward and
// backward). Offsets are bytes into the heap (4-byte aligned), sizes are float counts; every
// operand is checked against the heap's current length and no output may overlap an input or
// another output. An optional operand is passed as offset -1.
#include "gelu_norm.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

/** True if some output overlaps an input or another output (empty ranges overlap nothing). */
bool AnyOverlap(const Range* outs, int num_outs, const Range* ins, int num_ins) {
  for (int o = 0; o < num_outs; o++) {
    for (int i = 0; i < num_ins; i++) {
      if (Overlaps(outs[o], ins[i])) return true;
    }
    for (int p = o + 1; p < num_outs; p++) {
      if (Overlaps(outs[o], outs[p])) return true;
    }
  }
  return false;
}

/** An optional operand: none (offset -1, empty range) or a checked range of `count` floats. */
bool CheckOptional(const Heap& heap, int64_t offset, int64_t count, Range* range) {
  if (offset < 0) {
    *range = Range{};
    return true;
  }
  return CheckRange(heap, offset, count, range);
}

bool GetKind(napi_env env, napi_value value, GateKind* kind) {
  int64_t k = 0;
  if (!GetIndex(env, value, &k) || k > 1) return false;
  *kind = static_cast<GateKind>(k);
  return true;
}

// gateForward(heap, kind (0 gelu-tanh, 1 silu), xOffset, yOffset, count)
napi_value GateForwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Heap heap;
  if (!KernelPrologue(env, info, "gateForward", 5, argv, &heap, false)) return nullptr;
  GateKind kind;
  if (!GetKind(env, argv[1], &kind)) return Throw(env, "gateForward: kind must be 0 (gelu-tanh) or 1 (silu)");
  int64_t x_off, y_off, count;
  if (!GetIndex(env, argv[2], &x_off) || !GetIndex(env, argv[3], &y_off) || !GetIndex(env, argv[4], &count)) {
    return Throw(env, "gateForward: offsets and sizes must be non-negative integers");
  }
  Range rx, ry;
  if (!CheckRange(heap, x_off, count, &rx) || !CheckRange(heap, y_off, count, &ry)) {
    return Throw(env, "gateForward: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(ry, rx)) return Throw(env, "gateForward: output overlaps the input");
  GateForward(kind, reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<float*>(heap.data + y_off), count);
  return nullptr;
}

// gateBackward(heap, kind, dyOffset, xOffset, dxOffset, count)
napi_value GateBackwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Heap heap;
  if (!KernelPrologue(env, info, "gateBackward", 6, argv, &heap, false)) return nullptr;
  GateKind kind;
  if (!GetKind(env, argv[1], &kind)) return Throw(env, "gateBackward: kind must be 0 (gelu-tanh) or 1 (silu)");
  int64_t dy_off, x_off, dx_off, count;
  if (!GetIndex(env, argv[2], &dy_off) || !GetIndex(env, argv[3], &x_off) || !GetIndex(env, argv[4], &dx_off) || !GetIndex(env, argv[5], &count)) {
    return Throw(env, "gateBackward: offsets and sizes must be non-negative integers");
  }
  Range rdy, rx, rdx;
  if (!CheckRange(heap, dy_off, count, &rdy) || !CheckRange(heap, x_off, count, &rx) || !CheckRange(heap, dx_off, count, &rdx)) {
    return Throw(env, "gateBackward: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  const Range ins[] = {rdy, rx};
  if (AnyOverlap(&rdx, 1, ins, 2)) return Throw(env, "gateBackward: output overlaps an input");
  GateBackward(kind, reinterpret_cast<const float*>(heap.data + dy_off), reinterpret_cast<const float*>(heap.data + x_off),
               reinterpret_cast<float*>(heap.data + dx_off), count);
  return nullptr;
}

// normForward(heap, xOffset, wOffset, bOffset (-1: none), yOffset, meanOffset, rstdOffset, rows, cols, eps, centre)
napi_value NormForwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  Heap heap;
  if (!KernelPrologue(env, info, "normForward", 11, argv, &heap, false)) return nullptr;
  int64_t x_off, w_off, b_off, y_off, mean_off, rstd_off, rows, cols;
  double eps = 0;
  bool centre = false;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &w_off) || !GetIndex(env, argv[3], &b_off, true) ||
      !GetIndex(env, argv[4], &y_off) || !GetIndex(env, argv[5], &mean_off) || !GetIndex(env, argv[6], &rstd_off) ||
      !GetIndex(env, argv[7], &rows) || !GetIndex(env, argv[8], &cols) || rows > kMaxDim || cols > kMaxDim) {
    return Throw(env, "normForward: offsets and sizes must be non-negative integers");
  }
  if (!GetNumber(env, argv[9], &eps) || eps < 0) return Throw(env, "normForward: eps must be a finite number >= 0");
  if (!GetBool(env, argv[10], &centre)) return Throw(env, "normForward: centre must be a boolean");
  Range rx, rw, rb, ry, rmean, rrstd;
  if (!CheckRange(heap, x_off, rows * cols, &rx) || !CheckRange(heap, w_off, cols, &rw) || !CheckOptional(heap, b_off, cols, &rb) ||
      !CheckRange(heap, y_off, rows * cols, &ry) || !CheckRange(heap, mean_off, rows, &rmean) || !CheckRange(heap, rstd_off, rows, &rrstd)) {
    return Throw(env, "normForward: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  const Range outs[] = {ry, rmean, rrstd};
  const Range ins[] = {rx, rw, rb};
  if (AnyOverlap(outs, 3, ins, 3)) return Throw(env, "normForward: an output overlaps an input or another output");
  const auto f = [&heap](int64_t off) { return reinterpret_cast<float*>(heap.data + off); };
  NormForward(NormShape{rows, cols, centre}, f(x_off), f(w_off), b_off < 0 ? nullptr : f(b_off), static_cast<float>(eps), f(y_off), f(mean_off),
              f(rstd_off));
  return nullptr;
}

// normBackward(heap, dyOffset, xOffset, wOffset, meanOffset, rstdOffset, dxOffset, dwOffset, dbOffset (-1: none), rows, cols, centre)
napi_value NormBackwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  Heap heap;
  if (!KernelPrologue(env, info, "normBackward", 12, argv, &heap, false)) return nullptr;
  int64_t dy_off, x_off, w_off, mean_off, rstd_off, dx_off, dw_off, db_off, rows, cols;
  bool centre = false;
  if (!GetIndex(env, argv[1], &dy_off) || !GetIndex(env, argv[2], &x_off) || !GetIndex(env, argv[3], &w_off) ||
      !GetIndex(env, argv[4], &mean_off) || !GetIndex(env, argv[5], &rstd_off) || !GetIndex(env, argv[6], &dx_off) ||
      !GetIndex(env, argv[7], &dw_off) || !GetIndex(env, argv[8], &db_off, true) || !GetIndex(env, argv[9], &rows) ||
      !GetIndex(env, argv[10], &cols) || rows > kMaxDim || cols > kMaxDim) {
    return Throw(env, "normBackward: offsets and sizes must be non-negative integers");
  }
  if (!GetBool(env, argv[11], &centre)) return Throw(env, "normBackward: centre must be a boolean");
  Range rdy, rx, rw, rmean, rrstd, rdx, rdw, rdb;
  if (!CheckRange(heap, dy_off, rows * cols, &rdy) || !CheckRange(heap, x_off, rows * cols, &rx) || !CheckRange(heap, w_off, cols, &rw) ||
      !CheckRange(heap, mean_off, rows, &rmean) || !CheckRange(heap, rstd_off, rows, &rrstd) || !CheckRange(heap, dx_off, rows * cols, &rdx) ||
      !CheckRange(heap, dw_off, cols, &rdw) || !CheckOptional(heap, db_off, cols, &rdb)) {
    return Throw(env, "normBackward: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  const Range outs[] = {rdx, rdw, rdb};
  const Range ins[] = {rdy, rx, rw, rmean, rrstd};
  if (AnyOverlap(outs, 3, ins, 5)) return Throw(env, "normBackward: an output overlaps an input or another output");
  const auto f = [&heap](int64_t off) { return reinterpret_cast<float*>(heap.data + off); };
  NormBackward(NormShape{rows, cols, centre}, f(dy_off), f(x_off), f(w_off), f(mean_off), f(rstd_off), f(dx_off), f(dw_off),
               db_off < 0 ? nullptr : f(db_off));
  return nullptr;
}

}  // namespace

void RegisterGeluNorm(napi_env env, napi_value exports) {
  napi::Export(env, exports, "gateForward", GateForwardCall);
  napi::Export(env, exports, "gateBackward", GateBackwardCall);
  napi::Export(env, exports, "normForward", NormForwardCall);
  napi::Export(env, exports, "normBackward", NormBackwardCall);
}

}  // namespace floe
