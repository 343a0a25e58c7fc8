// N-API entry point of RoPE on the packed QKV layout. Offsets are bytes into the heap; every
// operand is checked against the heap's current length and the output against every input.
#include "kernels.h"
#include "napi_util.h"
#include "rope_packed.h"

namespace floe {
namespace {

using namespace napi;

// ropePacked(heap, xOffset, cosOffset, sinOffset, outOffset, batch, seq, heads, headDim, tableBatch, inverse)
napi_value RopePackedCall(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  Heap heap;
  if (!KernelPrologue(env, info, "ropePacked", 11, argv, &heap, false)) return nullptr;
  int64_t x_off, c_off, s_off, o_off, batch, seq, heads, head_dim, table_batch;
  bool inverse;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &c_off) || !GetIndex(env, argv[3], &s_off) || !GetIndex(env, argv[4], &o_off) ||
      !GetIndex(env, argv[5], &batch) || !GetIndex(env, argv[6], &seq) || !GetIndex(env, argv[7], &heads) || !GetIndex(env, argv[8], &head_dim) ||
      !GetIndex(env, argv[9], &table_batch) || !GetBool(env, argv[10], &inverse)) {
    return Throw(env, "ropePacked: offsets and sizes must be non-negative integers, inverse a boolean");
  }
  if (batch > kMaxDim || seq > kMaxDim || heads > kMaxDim || head_dim > kMaxDim || batch * seq > kMaxElements / (3 * heads * head_dim + 1)) {
    return Throw(env, "ropePacked: dimension too large");
  }
  if (head_dim % 2 != 0) return Throw(env, "ropePacked: headDim must be even");
  if (table_batch != 1 && table_batch != batch) return Throw(env, "ropePacked: tableBatch must be 1 or batch");
  if (batch * seq * heads * head_dim == 0) return nullptr;
  const int64_t n = batch * seq * 3 * heads * head_dim, table = table_batch * seq * head_dim;
  Range rx, rc, rs, ro;
  if (!CheckRange(heap, x_off, n, &rx) || !CheckRange(heap, c_off, table, &rc) || !CheckRange(heap, s_off, table, &rs) || !CheckRange(heap, o_off, n, &ro)) {
    return Throw(env, "ropePacked: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(ro, rx) || Overlaps(ro, rc) || Overlaps(ro, rs)) return Throw(env, "ropePacked: the output overlaps an input");
  const RopePackedShape shape = {batch, seq, heads, head_dim, table_batch != 1 || batch == 1, inverse};
  RopePacked(reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<const float*>(heap.data + c_off), reinterpret_cast<const float*>(heap.data + s_off),
             reinterpret_cast<float*>(heap.data + o_off), shape);
  return nullptr;
}

}  // namespace

void RegisterRopePacked(napi_env env, napi_value exports) { napi::Export(env, exports, "ropePacked", RopePackedCall); }

}  // namespace floe
