// Fused attention softmax, forward and backward (see attention_softmax.h). The composite runs
// Add, Softmax and, backward, Multiply, Sum, Multiply, Sub as full passes over [B, H, T, T]; here
// a row of T floats is read and written in L1: the forward adds the mask and takes the max in one
// pass, exp and sum in a second, scales by 1/sum in a third; the backward takes Σ p·dy, then writes dx.
// Vector bodies (attention_softmax_simd.inc, once per instruction set) use vec_math.h's Exp16/Exp8
// and their tails ExpScalar, which gives the same bits.
#include "attention_softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels.h"
#include "vec_math.h"

namespace floe {
namespace {

using vec::ExpScalar;
using vec::kExpLo;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// p[j] = softmax(s + m)[j] over one row of n.
using RowFn = void (*)(const float* s, const float* m, float* p, int64_t n);
// dx[j] = p[j]·dy[j] − (Σ p·dy)·p[j] over one row of n.
using GradFn = void (*)(const float* p, const float* dy, float* dx, int64_t n);

// exp(t), but exactly 0 below the clamp of vec_math's exp (whose ~1e-38 would make masked keys
// slightly non-zero; the composite's exp underflows to 0 there).
inline float ExpOrZero(float t) { return t < kExpLo ? 0.0f : ExpScalar(t); }

// A NaN, or a ±inf max (x − max is then NaN somewhere), makes the row NaN, as in the composite.
bool BadRow(float max, bool nan) { return nan || !std::isfinite(max); }

void RowScalar(const float* s, const float* m, float* p, int64_t n) {
  float mx = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (int64_t j = 0; j < n; j++) {
    const float x = s[j] + m[j];
    p[j] = x;
    mx = std::fmax(mx, x);
    nan |= std::isnan(x);
  }
  if (BadRow(mx, nan)) {
    std::fill(p, p + n, kNaN);
    return;
  }
  float sum = 0;
  for (int64_t j = 0; j < n; j++) {
    p[j] = ExpOrZero(p[j] - mx);
    sum += p[j];
  }
  const float inv = 1.0f / sum;  // one division per row; within 1 ulp of dividing each entry
  for (int64_t j = 0; j < n; j++) p[j] = p[j] * inv;
}

void GradScalar(const float* p, const float* dy, float* dx, int64_t n) {
  float dot = 0;
  for (int64_t j = 0; j < n; j++) dot += p[j] * dy[j];
  for (int64_t j = 0; j < n; j++) dx[j] = p[j] * dy[j] - dot * p[j];
}

#ifdef FLOE_VEC_X86
// The vector bodies (Row, Grad) live in attention_softmax_simd.inc, included once per
// instruction set with that set's helpers, as gelu_norm.cc does.
namespace avx512 {
#define FLOE_TARGET __attribute__((target("avx512f,fma")))
#include "row_ops_avx512.inc"
FLOE_TARGET inline Vec Sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
FLOE_TARGET inline Vec Mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
FLOE_TARGET inline Vec Fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
FLOE_TARGET inline Lanes LessLanes(Vec a, Vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
inline bool All(Lanes l) { return l == 0xffff; }
FLOE_TARGET inline Vec ZeroWhere(Lanes l, Vec v) { return _mm512_mask_blend_ps(l, v, _mm512_setzero_ps()); }
#include "attention_softmax_simd.inc"
#undef FLOE_TARGET
}  // namespace avx512

namespace avx2 {
#define FLOE_TARGET __attribute__((target("avx2,fma")))
#include "row_ops_avx2.inc"
FLOE_TARGET inline Vec Sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
FLOE_TARGET inline Vec Mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
FLOE_TARGET inline Vec Fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
FLOE_TARGET inline Lanes LessLanes(Vec a, Vec b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
FLOE_TARGET inline bool All(Lanes l) { return _mm256_movemask_ps(l) == 0xff; }
FLOE_TARGET inline Vec ZeroWhere(Lanes l, Vec v) { return _mm256_andnot_ps(l, v); }
#include "attention_softmax_simd.inc"
#undef FLOE_TARGET
}  // namespace avx2
#endif  // FLOE_VEC_X86

}  // namespace

void AttentionSoftmax(const float* scores, const float* mask, float* probs, const AttentionSoftmaxShape& shape) {
  const RowFn row = FLOE_FOR_ISA(avx512::Row, avx2::Row, RowScalar);
  const int64_t plane = shape.rows * shape.cols;
  for (int64_t b = 0; b < shape.batch; b++) {
    const float* mask_plane = mask + (shape.mask_per_batch ? b * plane : 0);
    for (int64_t h = 0; h < shape.heads; h++) {
      const int64_t base = (b * shape.heads + h) * plane;
      for (int64_t q = 0; q < shape.rows; q++) {
        const int64_t at = q * shape.cols;
        row(scores + base + at, mask_plane + at, probs + base + at, shape.cols);
      }
    }
  }
}

void AttentionSoftmaxGrad(const float* probs, const float* dy, float* dx, int64_t rows, int64_t cols) {
  const GradFn grad = FLOE_FOR_ISA(avx512::Grad, avx2::Grad, GradScalar);
  for (int64_t r = 0; r < rows; r++) grad(probs + r * cols, dy + r * cols, dx + r * cols, cols);
}

}  // namespace floe
