// Fused attention softmax, forward and backward (see attention_softmax.h). The composite runs
// Add, Softmax and, backward, Multiply, Sum, Multiply, Sub as full passes over [B, H, T, T]; here
// a row of T floats is read and written in L1: the forward adds the mask and takes the max in one
// pass, exp and sum in a second, scales by 1/sum in a third; the backward takes Σ p·dy, then writes dx.
// Vector bodies use vec_math.h's Exp16/Exp8 and their tails ExpScalar, which gives the same bits.
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
__attribute__((target("avx512f,fma"))) void Row512(const float* s, const float* m, float* p, int64_t n) {
  __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __mmask16 unordered = 0;
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 x = _mm512_add_ps(_mm512_loadu_ps(s + j), _mm512_loadu_ps(m + j));
    _mm512_storeu_ps(p + j, x);
    vmax = _mm512_max_ps(vmax, x);
    unordered |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  }
  float mx = _mm512_reduce_max_ps(vmax);
  bool nan = unordered != 0;
  for (; j < n; j++) {
    const float x = s[j] + m[j];
    p[j] = x;
    mx = std::fmax(mx, x);
    nan |= std::isnan(x);
  }
  if (BadRow(mx, nan)) {
    std::fill(p, p + n, kNaN);
    return;
  }
  const __m512 vm = _mm512_set1_ps(mx);
  const __m512 lo = _mm512_set1_ps(kExpLo);
  const __m512 zero = _mm512_setzero_ps();
  // Two accumulators: the add chain, not exp, would otherwise bound the loop.
  __m512 s0 = zero;
  __m512 s1 = zero;
  j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 t = _mm512_sub_ps(_mm512_loadu_ps(p + j), vm);
    const __mmask16 under = _mm512_cmp_ps_mask(t, lo, _CMP_LT_OQ);
    // A block of masked keys (half of a causal row) needs no exp.
    const __m512 e = under == 0xffff ? zero : _mm512_mask_blend_ps(under, vec::Exp16(t), zero);
    _mm512_storeu_ps(p + j, e);
    if ((j & 16) == 0) {
      s0 = _mm512_add_ps(s0, e);
    } else {
      s1 = _mm512_add_ps(s1, e);
    }
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  for (; j < n; j++) {
    p[j] = ExpOrZero(p[j] - mx);
    sum += p[j];
  }
  const float inv = 1.0f / sum;
  const __m512 vinv = _mm512_set1_ps(inv);
  j = 0;
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(p + j, _mm512_mul_ps(_mm512_loadu_ps(p + j), vinv));
  for (; j < n; j++) p[j] = p[j] * inv;
}

__attribute__((target("avx512f,fma"))) void Grad512(const float* p, const float* dy, float* dx, int64_t n) {
  __m512 d0 = _mm512_setzero_ps();
  __m512 d1 = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    d0 = _mm512_fmadd_ps(_mm512_loadu_ps(p + j), _mm512_loadu_ps(dy + j), d0);
    d1 = _mm512_fmadd_ps(_mm512_loadu_ps(p + j + 16), _mm512_loadu_ps(dy + j + 16), d1);
  }
  if (j + 16 <= n) {
    d0 = _mm512_fmadd_ps(_mm512_loadu_ps(p + j), _mm512_loadu_ps(dy + j), d0);
    j += 16;
  }
  float dot = _mm512_reduce_add_ps(_mm512_add_ps(d0, d1));
  for (; j < n; j++) dot += p[j] * dy[j];
  const __m512 vdot = _mm512_set1_ps(dot);
  j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 pj = _mm512_loadu_ps(p + j);
    _mm512_storeu_ps(dx + j, _mm512_sub_ps(_mm512_mul_ps(pj, _mm512_loadu_ps(dy + j)), _mm512_mul_ps(vdot, pj)));
  }
  for (; j < n; j++) dx[j] = p[j] * dy[j] - dot * p[j];
}

__attribute__((target("avx2,fma"))) void Row256(const float* s, const float* m, float* p, int64_t n) {
  __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 unordered = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 x = _mm256_add_ps(_mm256_loadu_ps(s + j), _mm256_loadu_ps(m + j));
    _mm256_storeu_ps(p + j, x);
    vmax = _mm256_max_ps(vmax, x);
    unordered = _mm256_or_ps(unordered, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
  }
  float mx = vec::HorizontalMax8(vmax);
  bool nan = _mm256_movemask_ps(unordered) != 0;
  for (; j < n; j++) {
    const float x = s[j] + m[j];
    p[j] = x;
    mx = std::fmax(mx, x);
    nan |= std::isnan(x);
  }
  if (BadRow(mx, nan)) {
    std::fill(p, p + n, kNaN);
    return;
  }
  const __m256 vm = _mm256_set1_ps(mx);
  const __m256 lo = _mm256_set1_ps(kExpLo);
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 t = _mm256_sub_ps(_mm256_loadu_ps(p + j), vm);
    // andnot(t < lo, exp(t)): exactly 0 below the clamp; a block of masked keys needs no exp.
    const __m256 under = _mm256_cmp_ps(t, lo, _CMP_LT_OQ);
    const __m256 e = _mm256_movemask_ps(under) == 0xff ? _mm256_setzero_ps() : _mm256_andnot_ps(under, vec::Exp8(t));
    _mm256_storeu_ps(p + j, e);
    if ((j & 8) == 0) {
      s0 = _mm256_add_ps(s0, e);
    } else {
      s1 = _mm256_add_ps(s1, e);
    }
  }
  float sum = vec::HorizontalSum8(_mm256_add_ps(s0, s1));
  for (; j < n; j++) {
    p[j] = ExpOrZero(p[j] - mx);
    sum += p[j];
  }
  const float inv = 1.0f / sum;
  const __m256 vinv = _mm256_set1_ps(inv);
  j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(p + j, _mm256_mul_ps(_mm256_loadu_ps(p + j), vinv));
  for (; j < n; j++) p[j] = p[j] * inv;
}

__attribute__((target("avx2,fma"))) void Grad256(const float* p, const float* dy, float* dx, int64_t n) {
  __m256 d0 = _mm256_setzero_ps();
  __m256 d1 = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    d0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(dy + j), d0);
    d1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j + 8), _mm256_loadu_ps(dy + j + 8), d1);
  }
  if (j + 8 <= n) {
    d0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(dy + j), d0);
    j += 8;
  }
  float dot = vec::HorizontalSum8(_mm256_add_ps(d0, d1));
  for (; j < n; j++) dot += p[j] * dy[j];
  const __m256 vdot = _mm256_set1_ps(dot);
  j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 pj = _mm256_loadu_ps(p + j);
    _mm256_storeu_ps(dx + j, _mm256_sub_ps(_mm256_mul_ps(pj, _mm256_loadu_ps(dy + j)), _mm256_mul_ps(vdot, pj)));
  }
  for (; j < n; j++) dx[j] = p[j] * dy[j] - dot * p[j];
}
#endif  // FLOE_VEC_X86

}  // namespace

void AttentionSoftmax(const float* scores, const float* mask, float* probs, const AttentionSoftmaxShape& shape) {
  const RowFn row = FLOE_FOR_ISA(Row512, Row256, RowScalar);
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
  const GradFn grad = FLOE_FOR_ISA(Grad512, Grad256, GradScalar);
  for (int64_t r = 0; r < rows; r++) grad(probs + r * cols, dy + r * cols, dx + r * cols, cols);
}

}  // namespace floe
