// RoPE on the query and key blocks of a packed QKV projection (compute side; the N-API entry
// point is in napi_rope_packed.cc, which validates every range first).
#pragma once
#include <cstdint>

namespace floe {

/** x and out are [batch·seq, 3·heads·head_dim]; the tables are [table_batch, seq, head_dim]. */
struct RopePackedShape {
  int64_t batch;
  int64_t seq;
  int64_t heads;
  int64_t head_dim;
  /** True when the tables have one plane per batch row; false when one plane serves all. */
  bool per_batch;
  /** The gradient: dx[j] = dy[j]·cos[j] + dy[p(j)]·sin[p(j)] instead of x[i]·cos[i] + x[p(i)]·sin[i]. */
  bool inverse;
};

/**
 * out[i] = x[i]·cos[i] + x[p(i)]·sin_signed[i] on every query and key head (p swaps the halves
 * of a head), each product and the sum rounded to float32 as separate mul, mul, add ops are;
 * values copied. Pointers need only 4-byte alignment.
 */
void RopePacked(const float* x, const float* cos, const float* sin_signed, float* out, const RopePackedShape& shape);

}  // namespace floe
