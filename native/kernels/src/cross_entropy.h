// Fused softmax cross-entropy over the rows of a [rows, cols] logits block (compute side; the
// N-API entry points are in napi_cross_entropy.cc, which validates every range first).
#pragma once
#include <cstdint>

namespace floe {

/**
 * Per row r: m = max_j x[r, j], logSum = log Σ_j exp(x[r, j] − m), and
 * loss[r] = (m − x[r, label[r]]) + logSum, or 0 when label[r] is outside [0, cols).
 * stats[2r] = m and stats[2r + 1] = logSum: all the backward needs (instead of [rows, cols]
 * log-probabilities). A row holding a NaN or +inf logit gets NaN loss and stats (as logSoftmax
 * gives), unless its label is out of range. Pointers need only 4-byte alignment.
 */
void SoftmaxCrossEntropy(const float* logits, const int32_t* labels, float* loss, float* stats, int64_t rows, int64_t cols);

/**
 * dx[r, j] = (softmax(x[r])[j] − [j == label[r]]) · dy[r], the softmax recomputed from `stats`
 * (see SoftmaxCrossEntropy); a row whose label is outside [0, cols) gets 0, as its loss is the
 * constant 0, and a row with NaN stats gets NaN.
 */
void SoftmaxCrossEntropyGrad(const float* logits, const int32_t* labels, const float* stats, const float* dy, float* dx, int64_t rows,
                             int64_t cols);

}  // namespace floe
