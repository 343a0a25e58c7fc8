// N-API entry points of the fused attention softmax (forward and backward) kernels. Offsets are
// bytes into the heap; every operand is checked against the heap's current length and the output
// against every input before anything is read or written.
#include "attention_softmax.h"
#include "kernels.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

// attentionSoftmax(heap, scoresOffset, maskOffset, probsOffset, batch, heads, rows, cols, maskBatch)
// scores float32 [batch, heads, rows, cols], mask [maskBatch (1 or batch), 1, rows, cols] -> probs like scores.
napi_value ForwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  Heap heap;
  if (!KernelPrologue(env, info, "attentionSoftmax", 9, argv, &heap, true)) return nullptr;
  int64_t s_off, m_off, p_off, batch, heads, rows, cols, mask_batch;
  if (!GetIndex(env, argv[1], &s_off) || !GetIndex(env, argv[2], &m_off) || !GetIndex(env, argv[3], &p_off) || !GetIndex(env, argv[4], &batch) ||
      !GetIndex(env, argv[5], &heads) || !GetIndex(env, argv[6], &rows) || !GetIndex(env, argv[7], &cols) || !GetIndex(env, argv[8], &mask_batch)) {
    return Throw(env, "attentionSoftmax: offsets and sizes must be non-negative integers");
  }
  if (batch > kMaxDim || heads > kMaxDim || rows > kMaxDim || cols > kMaxDim) return Throw(env, "attentionSoftmax: dimension too large");
  if (mask_batch != 1 && mask_batch != batch) return Throw(env, "attentionSoftmax: maskBatch must be 1 or batch");
  if (batch == 0 || heads == 0 || rows == 0) return nullptr;
  if (cols == 0) return Throw(env, "attentionSoftmax: cols must be positive");
  const int64_t plane = rows * cols;
  if (plane > kMaxElements || batch * heads > kMaxElements / plane) return Throw(env, "attentionSoftmax: dimension too large");
  Range rs, rm, rp;
  if (!CheckRange(heap, s_off, batch * heads * plane, &rs) || !CheckRange(heap, m_off, mask_batch * plane, &rm) ||
      !CheckRange(heap, p_off, batch * heads * plane, &rp)) {
    return Throw(env, "attentionSoftmax: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rp, rs) || Overlaps(rp, rm)) return Throw(env, "attentionSoftmax: the output overlaps an input");
  const AttentionSoftmaxShape shape = {batch, heads, rows, cols, mask_batch != 1 || batch == 1};
  AttentionSoftmax(reinterpret_cast<const float*>(heap.data + s_off), reinterpret_cast<const float*>(heap.data + m_off),
                   reinterpret_cast<float*>(heap.data + p_off), shape);
  return nullptr;
}

// attentionSoftmaxGrad(heap, probsOffset, dyOffset, dxOffset, rows, cols)
// dx float32 [rows, cols] = p·dy − (Σ_row p·dy)·p.
napi_value BackwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Heap heap;
  if (!KernelPrologue(env, info, "attentionSoftmaxGrad", 6, argv, &heap, true)) return nullptr;
  int64_t p_off, dy_off, dx_off, rows, cols;
  if (!GetIndex(env, argv[1], &p_off) || !GetIndex(env, argv[2], &dy_off) || !GetIndex(env, argv[3], &dx_off) || !GetIndex(env, argv[4], &rows) ||
      !GetIndex(env, argv[5], &cols)) {
    return Throw(env, "attentionSoftmaxGrad: offsets and sizes must be non-negative integers");
  }
  if (rows == 0) return nullptr;
  if (cols == 0) return Throw(env, "attentionSoftmaxGrad: cols must be positive");
  if (cols > kMaxDim || rows > kMaxElements / cols) return Throw(env, "attentionSoftmaxGrad: dimension too large");
  Range rp, rdy, rdx;
  if (!CheckRange(heap, p_off, rows * cols, &rp) || !CheckRange(heap, dy_off, rows * cols, &rdy) || !CheckRange(heap, dx_off, rows * cols, &rdx)) {
    return Throw(env, "attentionSoftmaxGrad: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rdx, rp) || Overlaps(rdx, rdy)) return Throw(env, "attentionSoftmaxGrad: the output overlaps an input");
  AttentionSoftmaxGrad(reinterpret_cast<const float*>(heap.data + p_off), reinterpret_cast<const float*>(heap.data + dy_off),
                       reinterpret_cast<float*>(heap.data + dx_off), rows, cols);
  return nullptr;
}

}  // namespace

void RegisterAttentionSoftmax(napi_env env, napi_value exports) {
  napi::Export(env, exports, "attentionSoftmax", ForwardCall);
  napi::Export(env, exports, "attentionSoftmaxGrad", BackwardCall);
}

}  // namespace floe
