// Fused softmax cross-entropy, forward and backward (see cross_entropy.h). A row of logits is
// read once per pass: the forward takes its max, then Σ exp(x − max) (the row is in L1 by then),
// and keeps two floats per row; the backward recomputes softmax from those two floats and writes
// the gradient in the same pass. Vector bodies (cross_entropy_simd.inc, once per instruction set)
// use vec_math.h's Exp16/Exp8 and their tails ExpScalar, which gives the same bits, so no element
// depends on where the row starts.
#include "cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels.h"
#include "vec_math.h"

namespace floe {
namespace {

using vec::ExpScalar;

struct RowStats {
  float max;
  float log_sum;
};

using StatsFn = RowStats (*)(const float* x, int64_t n);
// dx[j] = softmax(x)[j] · dy for the whole row (the label's −dy is applied by the caller).
using GradFn = void (*)(const float* x, RowStats s, float dy, float* dx, int64_t n);

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A NaN or +inf logit makes the row NaN, as the composite's logSoftmax does: a diverged model
// must show in its loss, and exp's clamping would otherwise hide it. (An all −inf row too.)
bool BadRow(float max, bool nan) { return nan || !std::isfinite(max); }

RowStats StatsScalar(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (int64_t j = 0; j < n; j++) {
    m = std::fmax(m, x[j]);
    nan |= std::isnan(x[j]);
  }
  if (BadRow(m, nan)) return {kNaN, kNaN};
  float s = 0;
  for (int64_t j = 0; j < n; j++) s += ExpScalar(x[j] - m);
  return {m, std::log(s)};
}

void GradScalar(const float* x, RowStats s, float dy, float* dx, int64_t n) {
  for (int64_t j = 0; j < n; j++) dx[j] = ExpScalar((x[j] - s.max) - s.log_sum) * dy;
}

#ifdef FLOE_VEC_X86
// The vector bodies (Stats, Grad) live in cross_entropy_simd.inc, included once per instruction
// set with that set's helpers, as gelu_norm.cc does.
namespace avx512 {
#define FLOE_TARGET __attribute__((target("avx512f,fma")))
#include "row_ops_avx512.inc"
#include "cross_entropy_simd.inc"
#undef FLOE_TARGET
}  // namespace avx512

namespace avx2 {
#define FLOE_TARGET __attribute__((target("avx2,fma")))
#include "row_ops_avx2.inc"
#include "cross_entropy_simd.inc"
#undef FLOE_TARGET
}  // namespace avx2
#endif  // FLOE_VEC_X86

bool InRange(int32_t label, int64_t cols) { return label >= 0 && label < cols; }

}  // namespace

void SoftmaxCrossEntropy(const float* logits, const int32_t* labels, float* loss, float* stats, int64_t rows, int64_t cols) {
  const StatsFn row_stats = FLOE_FOR_ISA(avx512::Stats, avx2::Stats, StatsScalar);
  for (int64_t r = 0; r < rows; r++) {
    const float* x = logits + r * cols;
    const RowStats s = row_stats(x, cols);
    const int32_t label = labels[r];
    // (max − x[label]) first: exact when x[label] is the max, however large the logits.
    loss[r] = InRange(label, cols) ? (s.max - x[label]) + s.log_sum : 0.0f;
    stats[2 * r] = s.max;
    stats[2 * r + 1] = s.log_sum;
  }
}

void SoftmaxCrossEntropyGrad(const float* logits, const int32_t* labels, const float* stats, const float* dy, float* dx, int64_t rows,
                             int64_t cols) {
  const GradFn row_grad = FLOE_FOR_ISA(avx512::Grad, avx2::Grad, GradScalar);
  for (int64_t r = 0; r < rows; r++) {
    float* out = dx + r * cols;
    const int32_t label = labels[r];
    if (!InRange(label, cols)) {
      std::memset(out, 0, sizeof(float) * cols);
      continue;
    }
    const float* x = logits + r * cols;
    const RowStats s = {stats[2 * r], stats[2 * r + 1]};
    if (std::isnan(s.max)) {
      std::fill(out, out + cols, kNaN);  // exp would clamp NaN to ~0 and hide it
      continue;
    }
    row_grad(x, s, dy[r], out, cols);
    // (p − 1)·dy rather than p·dy − dy: no cancellation when p is close to 1.
    out[label] = (ExpScalar((x[label] - s.max) - s.log_sum) - 1.0f) * dy[r];
  }
}

}  // namespace floe
