// Fused Adam/AdamW update: one pass reads param, grad, m, v and writes new param, m, v. It is
// memory-bound (7 floats of traffic per element), so the point is one pass instead of ~10 tfjs
// ops per variable, each a full read and write. Results must equal the tfjs path's float32 ops
// bit for bit, so no product may be fused into an FMA: contraction is off for this file (GCC
// would otherwise fuse the generic-vector intrinsics below under its default -ffp-contract=fast).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "adamw.h"

#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace floe {
namespace {

// Elements [begin, size) one at a time, in the same operation order as the vector loops.
void AdamScalar(const AdamHyper& h, const AdamTensor& t, int64_t begin) {
  const bool decoupled = t.decay && h.decay == AdamDecay::kDecoupled;
  const bool l2 = t.decay && h.decay == AdamDecay::kL2;
  for (int64_t i = begin; i < t.size; i++) {
    float g = t.grad[i];
    if (h.has_scale) g = g * h.scale;
    float p = t.param[i];
    if (decoupled) p = p * h.decay_value;
    if (l2) {
      const float wp = p * h.decay_value;
      g = g + wp;
    }
    const float gm = g * h.one_minus_beta1;
    float m = gm;
    if (t.m != nullptr) {
      const float mb = t.m[i] * h.beta1;
      m = mb + gm;
    }
    const float gg = g * g;
    const float gv = gg * h.one_minus_beta2;
    float v = gv;
    if (t.v != nullptr) {
      const float vb = t.v[i] * h.beta2;
      v = vb + gv;
    }
    const float root = std::sqrt(v);
    const float corrected = root / t.bias2_sqrt;
    const float denom = corrected + h.eps;
    const float ratio = m / denom;
    const float delta = ratio * t.step_size;
    t.out_param[i] = p - delta;
    t.out_m[i] = m;
    t.out_v[i] = v;
  }
}

// The vector loops of both ISAs share this body; V names the register type and its operations.
#define FLOE_ADAM_BODY(V, WIDTH, LOAD, STORE, SET1, ADD, SUB, MUL, DIV, SQRT)         \
  const bool decoupled = t.decay && h.decay == AdamDecay::kDecoupled;                   \
  const bool l2 = t.decay && h.decay == AdamDecay::kL2;                                  \
  const V scale = SET1(h.scale), dv = SET1(h.decay_value);                              \
  const V b1 = SET1(h.beta1), omb1 = SET1(h.one_minus_beta1);                           \
  const V b2 = SET1(h.beta2), omb2 = SET1(h.one_minus_beta2);                           \
  const V eps = SET1(h.eps), bc2 = SET1(t.bias2_sqrt), step = SET1(t.step_size);        \
  int64_t i = 0;                                                                         \
  for (; i + (WIDTH) <= t.size; i += (WIDTH)) {                                          \
    V g = LOAD(t.grad + i);                                                              \
    if (h.has_scale) g = MUL(g, scale);                                                  \
    V p = LOAD(t.param + i);                                                             \
    if (decoupled) p = MUL(p, dv);                                                       \
    if (l2) g = ADD(g, MUL(p, dv));                                                      \
    const V gm = MUL(g, omb1);                                                           \
    const V m = t.m != nullptr ? ADD(MUL(LOAD(t.m + i), b1), gm) : gm;                   \
    const V gv = MUL(MUL(g, g), omb2);                                                   \
    const V v = t.v != nullptr ? ADD(MUL(LOAD(t.v + i), b2), gv) : gv;                   \
    const V denom = ADD(DIV(SQRT(v), bc2), eps);                                         \
    STORE(t.out_param + i, SUB(p, MUL(DIV(m, denom), step)));                            \
    STORE(t.out_m + i, m);                                                               \
    STORE(t.out_v + i, v);                                                               \
  }                                                                                      \
  return i;

// _mm512_sqrt_ps passes an "undefined" register that GCC 12 warns about; the zero-masked form does not.
__attribute__((target("avx512f"))) inline __m512 Sqrt512(__m512 x) { return _mm512_maskz_sqrt_ps(0xFFFF, x); }

// Returns the first element not done (the scalar tail starts there).
__attribute__((target("avx512f"))) int64_t AdamAvx512(const AdamHyper& h, const AdamTensor& t) {
  FLOE_ADAM_BODY(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps, Sqrt512)
}

__attribute__((target("avx2"))) int64_t AdamAvx2(const AdamHyper& h, const AdamTensor& t) {
  FLOE_ADAM_BODY(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps,
                 _mm256_sqrt_ps)
}

#undef FLOE_ADAM_BODY

}  // namespace

void AdamUpdate(const AdamHyper& h, const AdamTensor& t) {
  int64_t done = 0;
  switch (ActiveIsa()) {
    case Isa::kAvx512:
      done = AdamAvx512(h, t);
      break;
    case Isa::kAvx2:
      done = AdamAvx2(h, t);
      break;
    case Isa::kNone:
      break;
  }
  AdamScalar(h, t, done);
}

}  // namespace floe
