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
using Vec = __m512;
using Lanes = __mmask16;
constexpr int64_t kWidth = 16;
FLOE_TARGET inline Vec Zero() { return _mm512_setzero_ps(); }
FLOE_TARGET inline Vec Set1(float v) { return _mm512_set1_ps(v); }
FLOE_TARGET inline Vec Load(const float* p) { return _mm512_loadu_ps(p); }
FLOE_TARGET inline void Store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
FLOE_TARGET inline Vec Max(Vec a, Vec b) { return _mm512_max_ps(a, b); }
FLOE_TARGET inline float ReduceMax(Vec v) { return _mm512_reduce_max_ps(v); }
FLOE_TARGET inline float ReduceAdd(Vec v) { return _mm512_reduce_add_ps(v); }
FLOE_TARGET inline Vec Exp(Vec v) { return vec::Exp16(v); }
inline Lanes NoLanes() { return 0; }
FLOE_TARGET inline Lanes NaNLanes(Vec v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q); }
inline Lanes LanesOr(Lanes a, Lanes b) { return static_cast<Lanes>(a | b); }
inline bool Any(Lanes l) { return l != 0; }
#include "cross_entropy_simd.inc"
#undef FLOE_TARGET
}  // namespace avx512

namespace avx2 {
#define FLOE_TARGET __attribute__((target("avx2,fma")))
using Vec = __m256;
using Lanes = __m256;  // a comparison's result: all bits set in the flagged lanes
constexpr int64_t kWidth = 8;
FLOE_TARGET inline Vec Zero() { return _mm256_setzero_ps(); }
FLOE_TARGET inline Vec Set1(float v) { return _mm256_set1_ps(v); }
FLOE_TARGET inline Vec Load(const float* p) { return _mm256_loadu_ps(p); }
FLOE_TARGET inline void Store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
FLOE_TARGET inline Vec Max(Vec a, Vec b) { return _mm256_max_ps(a, b); }
FLOE_TARGET inline float ReduceMax(Vec v) { return vec::HorizontalMax8(v); }
FLOE_TARGET inline float ReduceAdd(Vec v) { return vec::HorizontalSum8(v); }
FLOE_TARGET inline Vec Exp(Vec v) { return vec::Exp8(v); }
FLOE_TARGET inline Lanes NoLanes() { return _mm256_setzero_ps(); }
FLOE_TARGET inline Lanes NaNLanes(Vec v) { return _mm256_cmp_ps(v, v, _CMP_UNORD_Q); }
FLOE_TARGET inline Lanes LanesOr(Lanes a, Lanes b) { return _mm256_or_ps(a, b); }
FLOE_TARGET inline bool Any(Lanes l) { return _mm256_movemask_ps(l) != 0; }
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
