// Vectorised exp (and AVX2 horizontal max/sum) for the fused kernels (GELU, softmax cross-entropy): AVX2+FMA (8 lanes),
// AVX-512 (16 lanes) and a scalar twin that runs the same steps, so a row's tail gives the same
// bits as its vector body. Each function carries its own `target` attribute (as gemm.cc does),
// so this header builds with the default flags; call the vector ones only when ActiveIsa() says.
//
// Method: exp(x) = 2^n · exp(r), n = round(x·log2(e)), r = x − n·ln2 (ln2 split in a hi/lo pair
// so r is exact to float precision), exp(r) on |r| ≤ ln2/2 by a degree-6 polynomial (Cephes
// expf coefficients; ~1 ulp), 2^n built in the exponent bits. Inputs are clamped to
// [-87.3, 88.3]: below, exp underflows to ~1e-38 instead of a denormal/0 (harmless for softmax
// and sigmoid); above, the float range ends.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define FLOE_VEC_X86 1
#endif

namespace floe {
namespace vec {

constexpr float kExpHi = 88.3f;
constexpr float kExpLo = -87.3f;
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f;
constexpr float kP1 = 1.3981999507e-3f;
constexpr float kP2 = 8.3334519073e-3f;
constexpr float kP3 = 4.1665795894e-2f;
constexpr float kP4 = 1.6666665459e-1f;
constexpr float kP5 = 5.0000001201e-1f;

/** exp(x), float32, the same steps as the vector versions (fma where they use fma). */
inline float ExpScalar(float x) {
  x = std::fmin(std::fmax(x, kExpLo), kExpHi);
  const float n = std::nearbyint(x * kLog2e);
  float r = std::fma(-n, kLn2Hi, x);
  r = std::fma(-n, kLn2Lo, r);
  float p = kP0;
  p = std::fma(p, r, kP1);
  p = std::fma(p, r, kP2);
  p = std::fma(p, r, kP3);
  p = std::fma(p, r, kP4);
  p = std::fma(p, r, kP5);
  const float r2 = r * r;
  p = std::fma(p, r2, r + 1.0f);
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

#ifdef FLOE_VEC_X86
/** exp of 8 floats (AVX2+FMA). */
__attribute__((target("avx2,fma"))) inline __m256 Exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kExpLo)), _mm256_set1_ps(kExpHi));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  const __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/** exp of 16 floats (AVX-512F). */
__attribute__((target("avx512f,fma"))) inline __m512 Exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(kExpLo)), _mm512_set1_ps(kExpHi));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  const __m512 r2 = _mm512_mul_ps(r, r);
  p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}
/** Largest of 8 floats (AVX2). */
__attribute__((target("avx2,fma"))) inline float HorizontalMax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

/** Sum of 8 floats (AVX2), pairwise. */
__attribute__((target("avx2,fma"))) inline float HorizontalSum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
#endif  // FLOE_VEC_X86

/** The body for the active instruction set: `avx512`, `avx2`, else `scalar` (see FLOE_FOR_ISA). */
template <typename Fn>
Fn ForIsa(Fn avx512, Fn avx2, Fn scalar) {
  if (ActiveIsa() == Isa::kAvx512) return avx512;
  if (ActiveIsa() == Isa::kAvx2) return avx2;
  return scalar;
}

}  // namespace vec
}  // namespace floe

// Picks a kernel body by ActiveIsa(); off x86 only the scalar body exists, so the others are not named.
#ifdef FLOE_VEC_X86
#define FLOE_FOR_ISA(avx512, avx2, scalar) ::floe::vec::ForIsa(avx512, avx2, scalar)
#else
#define FLOE_FOR_ISA(avx512, avx2, scalar) (scalar)
#endif
