// N-API entry points of the fused attention core (forward and backward) on the packed QKV
// layout. Offsets are bytes into the heap; every operand is checked against the heap's current
// length and every output against every input before anything is read or written.
#include "attention_core.h"
#include "kernels.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

/** Reads and checks batch, seq, heads and headDim from dims[0 … 3] and the scale. */
bool GetShape(napi_env env, const char* name, const napi_value* dims, napi_value scale_arg, AttentionCoreShape* shape) {
  int64_t batch, seq, heads, head_dim;
  double scale;
  if (!GetIndex(env, dims[0], &batch) || !GetIndex(env, dims[1], &seq) || !GetIndex(env, dims[2], &heads) || !GetIndex(env, dims[3], &head_dim) ||
      !GetNumber(env, scale_arg, &scale)) {
    Throw(env, name);
    return false;
  }
  if (batch > kMaxDim || seq > kMaxDim || heads > kMaxDim || head_dim > kMaxDim || seq * seq > kMaxElements || batch * heads > kMaxElements / (seq * seq + 1) ||
      batch * seq > kMaxElements / (3 * heads * head_dim + 1)) {
    Throw(env, "attentionCore: dimension too large");
    return false;
  }
  *shape = {batch, seq, heads, head_dim, false, static_cast<float>(scale)};
  return true;
}

// attentionCore(heap, qkvOffset, maskOffset, outOffset, probsOffset, batch, seq, heads, headDim, maskBatch, scale)
napi_value ForwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  Heap heap;
  if (!KernelPrologue(env, info, "attentionCore", 11, argv, &heap, true)) return nullptr;
  int64_t qkv_off, m_off, o_off, p_off, mask_batch;
  if (!GetIndex(env, argv[1], &qkv_off) || !GetIndex(env, argv[2], &m_off) || !GetIndex(env, argv[3], &o_off) || !GetIndex(env, argv[4], &p_off)) {
    return Throw(env, "attentionCore: offsets must be non-negative integers");
  }
  AttentionCoreShape s;
  const char* bad = "attentionCore: sizes must be non-negative integers and scale a finite number";
  if (!GetShape(env, bad, argv + 5, argv[10], &s)) return nullptr;
  if (!GetIndex(env, argv[9], &mask_batch)) return Throw(env, bad);
  if (mask_batch != 1 && mask_batch != s.batch) return Throw(env, "attentionCore: maskBatch must be 1 or batch");
  s.mask_per_batch = mask_batch != 1 || s.batch == 1;
  if (s.batch * s.seq * s.heads * s.head_dim == 0) return nullptr;
  const int64_t n = s.batch * s.seq, d = s.heads * s.head_dim, plane = s.seq * s.seq;
  Range rq, rm, ro, rp;
  if (!CheckRange(heap, qkv_off, n * 3 * d, &rq) || !CheckRange(heap, m_off, mask_batch * plane, &rm) || !CheckRange(heap, o_off, n * d, &ro) ||
      !CheckRange(heap, p_off, s.batch * s.heads * plane, &rp)) {
    return Throw(env, "attentionCore: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(ro, rq) || Overlaps(ro, rm) || Overlaps(rp, rq) || Overlaps(rp, rm) || Overlaps(ro, rp)) return Throw(env, "attentionCore: an output overlaps an operand");
  AttentionCoreForward(reinterpret_cast<const float*>(heap.data + qkv_off), reinterpret_cast<const float*>(heap.data + m_off), reinterpret_cast<float*>(heap.data + o_off),
                       reinterpret_cast<float*>(heap.data + p_off), s);
  return nullptr;
}

// attentionCoreGrad(heap, qkvOffset, probsOffset, doutOffset, dqkvOffset, batch, seq, heads, headDim, scale)
napi_value BackwardCall(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  Heap heap;
  if (!KernelPrologue(env, info, "attentionCoreGrad", 10, argv, &heap, true)) return nullptr;
  int64_t qkv_off, p_off, do_off, dq_off;
  if (!GetIndex(env, argv[1], &qkv_off) || !GetIndex(env, argv[2], &p_off) || !GetIndex(env, argv[3], &do_off) || !GetIndex(env, argv[4], &dq_off)) {
    return Throw(env, "attentionCoreGrad: offsets must be non-negative integers");
  }
  AttentionCoreShape s;
  if (!GetShape(env, "attentionCoreGrad: sizes must be non-negative integers and scale a finite number", argv + 5, argv[9], &s)) return nullptr;
  if (s.batch * s.seq * s.heads * s.head_dim == 0) return nullptr;
  const int64_t n = s.batch * s.seq, d = s.heads * s.head_dim, plane = s.seq * s.seq;
  Range rq, rp, rdo, rdq;
  if (!CheckRange(heap, qkv_off, n * 3 * d, &rq) || !CheckRange(heap, p_off, s.batch * s.heads * plane, &rp) || !CheckRange(heap, do_off, n * d, &rdo) ||
      !CheckRange(heap, dq_off, n * 3 * d, &rdq)) {
    return Throw(env, "attentionCoreGrad: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rdq, rq) || Overlaps(rdq, rp) || Overlaps(rdq, rdo)) return Throw(env, "attentionCoreGrad: the output overlaps an input");
  AttentionCoreBackward(reinterpret_cast<const float*>(heap.data + qkv_off), reinterpret_cast<const float*>(heap.data + p_off),
                        reinterpret_cast<const float*>(heap.data + do_off), reinterpret_cast<float*>(heap.data + dq_off), s);
  return nullptr;
}

}  // namespace

void RegisterAttentionCore(napi_env env, napi_value exports) {
  napi::Export(env, exports, "attentionCore", ForwardCall);
  napi::Export(env, exports, "attentionCoreGrad", BackwardCall);
}

}  // namespace floe
