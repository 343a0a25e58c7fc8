// Fused GELU/SiLU and LayerNorm/RMSNorm kernels (compute side; the N-API entry points are in
// napi_gelu_norm.cc). The bodies live in gelu_norm_simd.inc, included here once per instruction
// set with that set's vector helpers; each helper and body carries its own `target` attribute
// (as gemm.cc does), so this file builds with the default flags. The public functions dispatch
// on ActiveIsa(); the scalar build is a reference and a fallback that native mode never selects.
//
// Why: on the wasm backend the composite GELU is 6 elementwise ops forward and 7 backward over
// [B·T, ffn], and LayerNorm 9 forward and 11 backward (most over [B·T, d]); here each is one
// pass over memory (the norms read a row twice more for its statistics, from L1). The GELU backward recomputes σ from x
// (a few FMAs and one exp, cheaper than storing and re-reading σ); the norm forward saves only
// the per-row mean and rstd (2 floats a row) so the backward needs no row reductions of x.
#include "gelu_norm.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "vec_math.h"

namespace floe {
namespace {

#ifdef FLOE_VEC_X86
namespace avx512 {
#define FLOE_TARGET __attribute__((target("avx512f,fma")))
using Vec = __m512;
using Mask = __mmask16;
constexpr int64_t kWidth = 16;
FLOE_TARGET inline Vec Zero() { return _mm512_setzero_ps(); }
FLOE_TARGET inline Vec Set1(float v) { return _mm512_set1_ps(v); }
inline Mask MaskFor(int64_t remaining) { return remaining >= kWidth ? Mask(0xFFFF) : Mask((1u << remaining) - 1u); }
FLOE_TARGET inline Vec Load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
FLOE_TARGET inline void Store(float* p, Mask m, Vec v) { _mm512_mask_storeu_ps(p, m, v); }
FLOE_TARGET inline Vec MaskedSub(Mask m, Vec a, Vec b) { return _mm512_maskz_sub_ps(m, a, b); }
FLOE_TARGET inline Vec Fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
FLOE_TARGET inline Vec Fnma(Vec a, Vec b, Vec c) { return _mm512_fnmadd_ps(a, b, c); }
FLOE_TARGET inline float ReduceAdd(Vec v) { return _mm512_reduce_add_ps(v); }
FLOE_TARGET inline Vec Exp(Vec v) { return vec::Exp16(v); }
#include "gelu_norm_simd.inc"
#undef FLOE_TARGET
}  // namespace avx512

namespace avx2 {
#define FLOE_TARGET __attribute__((target("avx2,fma")))
using Vec = __m256;
using Mask = __m256i;
constexpr int64_t kWidth = 8;
// MaskFor(k) reads 8 lanes starting 8 − k into this table: k leading −1s (lanes on), then 0s.
alignas(64) constexpr int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
FLOE_TARGET inline Vec Zero() { return _mm256_setzero_ps(); }
FLOE_TARGET inline Vec Set1(float v) { return _mm256_set1_ps(v); }
FLOE_TARGET inline Mask MaskFor(int64_t remaining) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + (remaining >= kWidth ? 0 : kWidth - remaining)));
}
FLOE_TARGET inline Vec Load(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
FLOE_TARGET inline void Store(float* p, Mask m, Vec v) { _mm256_maskstore_ps(p, m, v); }
FLOE_TARGET inline Vec MaskedSub(Mask m, Vec a, Vec b) { return _mm256_and_ps(_mm256_sub_ps(a, b), _mm256_castsi256_ps(m)); }
FLOE_TARGET inline Vec Fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
FLOE_TARGET inline Vec Fnma(Vec a, Vec b, Vec c) { return _mm256_fnmadd_ps(a, b, c); }
FLOE_TARGET inline float ReduceAdd(Vec v) { return vec::HorizontalSum8(v); }
FLOE_TARGET inline Vec Exp(Vec v) { return vec::Exp8(v); }
#include "gelu_norm_simd.inc"
#undef FLOE_TARGET
}  // namespace avx2
#endif  // FLOE_VEC_X86

namespace scalar {
#define FLOE_TARGET
using Vec = float;
using Mask = bool;
constexpr int64_t kWidth = 1;
inline Vec Zero() { return 0.0f; }
inline Vec Set1(float v) { return v; }
inline Mask MaskFor(int64_t) { return true; }
inline Vec Load(const float* p, Mask) { return *p; }
inline void Store(float* p, Mask, Vec v) { *p = v; }
inline Vec MaskedSub(Mask, Vec a, Vec b) { return a - b; }
inline Vec Fma(Vec a, Vec b, Vec c) { return std::fma(a, b, c); }
inline Vec Fnma(Vec a, Vec b, Vec c) { return std::fma(-a, b, c); }
inline float ReduceAdd(Vec v) { return v; }
inline Vec Exp(Vec v) { return vec::ExpScalar(v); }
#include "gelu_norm_simd.inc"
#undef FLOE_TARGET
}  // namespace scalar

/** a and b of y = x·σ(x·(a + b·x²)), rounded from double like the composite's float32 scalars. */
struct GateCoeffs {
  float a, b;
};

GateCoeffs CoeffsOf(GateKind kind) {
  if (kind == GateKind::kSilu) return {1.0f, 0.0f};
  const double c = 2.0 * std::sqrt(2.0 / 3.14159265358979323846);
  return {static_cast<float>(c), static_cast<float>(c * 0.044715)};
}

/** Rows per block of the dw/db partial sums. */
constexpr int64_t kNormBlock = 64;

}  // namespace

void GateForward(GateKind kind, const float* x, float* y, int64_t count) {
  const GateCoeffs k = CoeffsOf(kind);
  switch (ActiveIsa()) {
#ifdef FLOE_VEC_X86
    case Isa::kAvx512:
      return avx512::GateForward(k.a, k.b, x, y, count);
    case Isa::kAvx2:
      return avx2::GateForward(k.a, k.b, x, y, count);
#endif
    default:
      return scalar::GateForward(k.a, k.b, x, y, count);
  }
}

void GateBackward(GateKind kind, const float* dy, const float* x, float* dx, int64_t count) {
  const GateCoeffs k = CoeffsOf(kind);
  switch (ActiveIsa()) {
#ifdef FLOE_VEC_X86
    case Isa::kAvx512:
      return avx512::GateBackward(k.a, k.b, dy, x, dx, count);
    case Isa::kAvx2:
      return avx2::GateBackward(k.a, k.b, dy, x, dx, count);
#endif
    default:
      return scalar::GateBackward(k.a, k.b, dy, x, dx, count);
  }
}

void NormForward(const NormShape& s, const float* x, const float* w, const float* b, float eps, float* y, float* mean, float* rstd) {
  switch (ActiveIsa()) {
#ifdef FLOE_VEC_X86
    case Isa::kAvx512:
      return avx512::NormForwardRows(s, x, w, b, eps, y, mean, rstd);
    case Isa::kAvx2:
      return avx2::NormForwardRows(s, x, w, b, eps, y, mean, rstd);
#endif
    default:
      return scalar::NormForwardRows(s, x, w, b, eps, y, mean, rstd);
  }
}

void NormBackward(const NormShape& s, const float* dy, const float* x, const float* w, const float* mean, const float* rstd, float* dx, float* dw,
                  float* db) {
  std::memset(dw, 0, sizeof(float) * s.cols);
  if (db != nullptr) std::memset(db, 0, sizeof(float) * s.cols);
  std::vector<float> partial(2 * s.cols, 0.0f);
  float* dwp = partial.data();
  float* dbp = dwp + s.cols;
  switch (ActiveIsa()) {
#ifdef FLOE_VEC_X86
    case Isa::kAvx512:
      return avx512::NormBackwardRows(s, dy, x, w, mean, rstd, dx, dw, db, dwp, dbp, kNormBlock);
    case Isa::kAvx2:
      return avx2::NormBackwardRows(s, dy, x, w, mean, rstd, dx, dw, db, dwp, dbp, kNormBlock);
#endif
    default:
      return scalar::NormBackwardRows(s, dy, x, w, mean, rstd, dx, dw, db, dwp, dbp, kNormBlock);
  }
}

}  // namespace floe
