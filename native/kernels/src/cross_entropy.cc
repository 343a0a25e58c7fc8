// Fused softmax cross-entropy, forward and backward (see cross_entropy.h). A row of logits is
// read once per pass: the forward takes its max, then Σ exp(x − max) (the row is in L1 by then),
// and keeps two floats per row; the backward recomputes softmax from those two floats and writes
// the gradient in the same pass. Vector bodies use vec_math.h's Exp16/Exp8 and their tails
// ExpScalar, which gives the same bits, so no element depends on where the row starts.
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
__attribute__((target("avx512f,fma"))) RowStats Stats512(const float* x, int64_t n) {
  __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __mmask16 unordered = 0;
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 v = _mm512_loadu_ps(x + j);
    vmax = _mm512_max_ps(vmax, v);
    unordered |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  }
  float m = _mm512_reduce_max_ps(vmax);
  bool nan = unordered != 0;
  for (; j < n; j++) {
    m = std::fmax(m, x[j]);
    nan |= std::isnan(x[j]);
  }
  if (BadRow(m, nan)) return {kNaN, kNaN};
  const __m512 vm = _mm512_set1_ps(m);
  // Two accumulators: the add chain, not exp, would otherwise bound the loop.
  __m512 s0 = _mm512_setzero_ps();
  __m512 s1 = _mm512_setzero_ps();
  j = 0;
  for (; j + 32 <= n; j += 32) {
    s0 = _mm512_add_ps(s0, vec::Exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm)));
    s1 = _mm512_add_ps(s1, vec::Exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j + 16), vm)));
  }
  if (j + 16 <= n) {
    s0 = _mm512_add_ps(s0, vec::Exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm)));
    j += 16;
  }
  float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  for (; j < n; j++) s += ExpScalar(x[j] - m);
  return {m, std::log(s)};
}

__attribute__((target("avx512f,fma"))) void Grad512(const float* x, RowStats s, float dy, float* dx, int64_t n) {
  const __m512 vm = _mm512_set1_ps(s.max);
  const __m512 vls = _mm512_set1_ps(s.log_sum);
  const __m512 vdy = _mm512_set1_ps(dy);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 t = _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm), vls);
    _mm512_storeu_ps(dx + j, _mm512_mul_ps(vec::Exp16(t), vdy));
  }
  for (; j < n; j++) dx[j] = ExpScalar((x[j] - s.max) - s.log_sum) * dy;
}

__attribute__((target("avx2,fma"))) RowStats Stats256(const float* x, int64_t n) {
  __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 unordered = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    vmax = _mm256_max_ps(vmax, v);
    unordered = _mm256_or_ps(unordered, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  float m = vec::HorizontalMax8(vmax);
  bool nan = _mm256_movemask_ps(unordered) != 0;
  for (; j < n; j++) {
    m = std::fmax(m, x[j]);
    nan |= std::isnan(x[j]);
  }
  if (BadRow(m, nan)) return {kNaN, kNaN};
  const __m256 vm = _mm256_set1_ps(m);
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  j = 0;
  for (; j + 16 <= n; j += 16) {
    s0 = _mm256_add_ps(s0, vec::Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm)));
    s1 = _mm256_add_ps(s1, vec::Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm)));
  }
  if (j + 8 <= n) {
    s0 = _mm256_add_ps(s0, vec::Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm)));
    j += 8;
  }
  float s = vec::HorizontalSum8(_mm256_add_ps(s0, s1));
  for (; j < n; j++) s += ExpScalar(x[j] - m);
  return {m, std::log(s)};
}

__attribute__((target("avx2,fma"))) void Grad256(const float* x, RowStats s, float dy, float* dx, int64_t n) {
  const __m256 vm = _mm256_set1_ps(s.max);
  const __m256 vls = _mm256_set1_ps(s.log_sum);
  const __m256 vdy = _mm256_set1_ps(dy);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 t = _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vls);
    _mm256_storeu_ps(dx + j, _mm256_mul_ps(vec::Exp8(t), vdy));
  }
  for (; j < n; j++) dx[j] = ExpScalar((x[j] - s.max) - s.log_sum) * dy;
}
#endif  // FLOE_VEC_X86

bool InRange(int32_t label, int64_t cols) { return label >= 0 && label < cols; }

}  // namespace

void SoftmaxCrossEntropy(const float* logits, const int32_t* labels, float* loss, float* stats, int64_t rows, int64_t cols) {
  const StatsFn row_stats = FLOE_FOR_ISA(Stats512, Stats256, StatsScalar);
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
  const GradFn row_grad = FLOE_FOR_ISA(Grad512, Grad256, GradScalar);
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
