// Fused attention softmax over [B, H, Tq, Tk] scores with an additive mask (compute side; the
// N-API entry points are in napi_attention_softmax.cc, which validates every range first).
#pragma once
#include <cstdint>

namespace floe {

/** Shape of one fused attention-softmax call: scores [batch, heads, rows, cols]. */
struct AttentionSoftmaxShape {
  int64_t batch;
  int64_t heads;
  int64_t rows;
  int64_t cols;
  /** True when the mask is [batch, 1, rows, cols]; false when it is [1, 1, rows, cols]. */
  bool mask_per_batch;
};

/**
 * probs[b, h, q, :] = softmax(scores[b, h, q, :] + mask[b or 0, 0, q, :]), the sum rounded to
 * float32 first, as tf.add then tf.softmax (which divides by Σ exp; this scales by its reciprocal,
 * within 1 ulp). Entries more than 87.3 below the row max give
 * exactly 0 (masked keys), as the composite's exp underflows to. A row holding a NaN, or whose max
 * is ±inf, gives NaN, as the composite's x − max does. Pointers need only 4-byte alignment.
 */
void AttentionSoftmax(const float* scores, const float* mask, float* probs, const AttentionSoftmaxShape& shape);

/** dx = p ⊙ dy − (Σ_row p ⊙ dy) ⊙ p per row of [rows, cols] (softmax's gradient; mask gets none). */
void AttentionSoftmaxGrad(const float* probs, const float* dy, float* dx, int64_t rows, int64_t cols);

}  // namespace floe
