// N-API entry points of the fused softmax cross-entropy (forward and backward) kernels. Offsets
// are bytes into the heap; every operand is checked against the heap's current length and the
// outputs against every other operand before anything is read or written.
#include "cross_entropy.h"
#include "kernels.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

// softmaxCrossEntropy(heap, logitsOffset, labelsOffset, lossOffset, statsOffset, rows, cols)
// logits float32 [rows, cols], labels int32 [rows] -> loss [rows], stats [rows, 2] (max, logSum).
napi_value ForwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Heap heap;
  if (!KernelPrologue(env, info, "softmaxCrossEntropy", 7, argv, &heap, true)) return nullptr;
  int64_t x_off, label_off, loss_off, stats_off, rows, cols;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &label_off) || !GetIndex(env, argv[3], &loss_off) ||
      !GetIndex(env, argv[4], &stats_off) || !GetIndex(env, argv[5], &rows) || !GetIndex(env, argv[6], &cols)) {
    return Throw(env, "softmaxCrossEntropy: offsets and sizes must be non-negative integers");
  }
  if (rows > kMaxDim || cols > kMaxDim) return Throw(env, "softmaxCrossEntropy: dimension too large");
  if (rows == 0) return nullptr;
  if (cols == 0) return Throw(env, "softmaxCrossEntropy: cols must be positive");
  Range rx, rl, rloss, rstats;
  if (!CheckRange(heap, x_off, rows * cols, &rx) || !CheckRange(heap, label_off, rows, &rl) || !CheckRange(heap, loss_off, rows, &rloss) ||
      !CheckRange(heap, stats_off, 2 * rows, &rstats)) {
    return Throw(env, "softmaxCrossEntropy: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rloss, rx) || Overlaps(rloss, rl) || Overlaps(rstats, rx) || Overlaps(rstats, rl) || Overlaps(rloss, rstats)) {
    return Throw(env, "softmaxCrossEntropy: an output overlaps another operand");
  }
  SoftmaxCrossEntropy(reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<const int32_t*>(heap.data + label_off),
                      reinterpret_cast<float*>(heap.data + loss_off), reinterpret_cast<float*>(heap.data + stats_off), rows, cols);
  return nullptr;
}

// softmaxCrossEntropyGrad(heap, logitsOffset, labelsOffset, statsOffset, dyOffset, dxOffset, rows, cols)
// dx float32 [rows, cols] = (softmax − onehot(label)) · dy[row]; 0 for rows whose label is out of range.
napi_value BackwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  Heap heap;
  if (!KernelPrologue(env, info, "softmaxCrossEntropyGrad", 8, argv, &heap, true)) return nullptr;
  int64_t x_off, label_off, stats_off, dy_off, dx_off, rows, cols;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &label_off) || !GetIndex(env, argv[3], &stats_off) ||
      !GetIndex(env, argv[4], &dy_off) || !GetIndex(env, argv[5], &dx_off) || !GetIndex(env, argv[6], &rows) || !GetIndex(env, argv[7], &cols)) {
    return Throw(env, "softmaxCrossEntropyGrad: offsets and sizes must be non-negative integers");
  }
  if (rows > kMaxDim || cols > kMaxDim) return Throw(env, "softmaxCrossEntropyGrad: dimension too large");
  if (rows == 0) return nullptr;
  if (cols == 0) return Throw(env, "softmaxCrossEntropyGrad: cols must be positive");
  Range rx, rl, rstats, rdy, rdx;
  if (!CheckRange(heap, x_off, rows * cols, &rx) || !CheckRange(heap, label_off, rows, &rl) || !CheckRange(heap, stats_off, 2 * rows, &rstats) ||
      !CheckRange(heap, dy_off, rows, &rdy) || !CheckRange(heap, dx_off, rows * cols, &rdx)) {
    return Throw(env, "softmaxCrossEntropyGrad: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rdx, rx) || Overlaps(rdx, rl) || Overlaps(rdx, rstats) || Overlaps(rdx, rdy)) {
    return Throw(env, "softmaxCrossEntropyGrad: the output overlaps an input");
  }
  SoftmaxCrossEntropyGrad(reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<const int32_t*>(heap.data + label_off),
                          reinterpret_cast<const float*>(heap.data + stats_off), reinterpret_cast<const float*>(heap.data + dy_off),
                          reinterpret_cast<float*>(heap.data + dx_off), rows, cols);
  return nullptr;
}

}  // namespace

void RegisterCrossEntropy(napi_env env, napi_value exports) {
  napi::Export(env, exports, "softmaxCrossEntropy", ForwardCall);
  napi::Export(env, exports, "softmaxCrossEntropyGrad", BackwardCall);
}

}  // namespace floe
