// Fused attention core over a packed QKV projection (compute side; the N-API entry points are in
// napi_attention_core.cc, which validates every range first).
#pragma once
#include <cstdint>

namespace floe {

/**
 * qkv is [batch·seq, 3·heads·head_dim] row-major: per token the query, key and value of every
 * head (head h's query in columns h·head_dim …, its key after all queries, its value after all
 * keys). The mask is [batch or 1, 1, seq, seq], additive.
 */
struct AttentionCoreShape {
  int64_t batch;
  int64_t seq;
  int64_t heads;
  int64_t head_dim;
  /** True when the mask is [batch, 1, seq, seq]; false when it is [1, 1, seq, seq]. */
  bool mask_per_batch;
  /** Multiplies q·kᵀ (1/√head_dim). */
  float scale;
};

/**
 * For every (b, h): probs = softmax(scale · Q Kᵀ + mask) into probs [batch, heads, seq, seq], and
 * out[b·seq + t, h·head_dim …] = (probs · V)[t] into out [batch·seq, heads·head_dim]. The heads
 * are read and written in place in the packed layouts: no split, transpose or concat.
 */
void AttentionCoreForward(const float* qkv, const float* mask, float* out, float* probs, const AttentionCoreShape& shape);

/**
 * Gradient of {@link AttentionCoreForward} w.r.t. qkv, into dqkv (same layout as qkv), from the
 * saved probs and dout [batch·seq, heads·head_dim]: dV = Pᵀ dO, dS = softmax'(P, dO Vᵀ),
 * dQ = scale · dS K, dK = scale · dSᵀ Q. Every element of dqkv is written.
 */
void AttentionCoreBackward(const float* qkv, const float* probs, const float* dout, float* dqkv, const AttentionCoreShape& shape);

}  // namespace floe
