// Attention core on the packed QKV layout, as GEMMs with leading dimensions over each head's
// columns (see attention_core.h). The per-head seq × seq scratch lives per thread.
#include "attention_core.h"

#include <cstdlib>

#include "attention_softmax.h"
#include "kernels.h"
#include "scratch.h"

namespace floe {
namespace {

thread_local Scratch t_scores;
thread_local Scratch t_grad;

/** C = alpha · op(A) · op(B) with explicit leading dimensions. */
void Product(const float* a, int64_t lda, bool trans_a, const float* b, int64_t ldb, bool trans_b, float* c, int64_t ldc, int64_t m, int64_t n,
             int64_t k, float alpha) {
  GemmProblem p;
  p.a = a;
  p.b = b;
  p.c = c;
  p.bias = nullptr;
  p.m = m;
  p.n = n;
  p.k = k;
  p.trans_a = trans_a;
  p.trans_b = trans_b;
  p.activation = Activation::kLinear;
  p.lda = lda;
  p.ldb = ldb;
  p.ldc = ldc;
  p.alpha = alpha;
  Gemm(p);
}

}  // namespace

void AttentionCoreForward(const float* qkv, const float* mask, float* out, float* probs, const AttentionCoreShape& s) {
  const int64_t t = s.seq, hd = s.head_dim, d = s.heads * hd, row = 3 * d;
  float* scores = t_scores.Get(static_cast<size_t>(t * t));
  if (scores == nullptr) std::abort();
  const AttentionSoftmaxShape one = {1, 1, t, t, false};
  for (int64_t b = 0; b < s.batch; b++) {
    const float* base = qkv + b * t * row;
    const float* plane_mask = mask + (s.mask_per_batch ? b * t * t : 0);
    for (int64_t h = 0; h < s.heads; h++) {
      const float* q = base + h * hd;
      const float* k = base + d + h * hd;
      const float* v = base + 2 * d + h * hd;
      float* p = probs + (b * s.heads + h) * t * t;
      Product(q, row, false, k, row, true, scores, t, t, t, hd, s.scale);  // scale · Q Kᵀ
      AttentionSoftmax(scores, plane_mask, p, one);
      Product(p, t, false, v, row, false, out + b * t * d + h * hd, d, t, hd, t, 1.0f);  // P V
    }
  }
}

void AttentionCoreBackward(const float* qkv, const float* probs, const float* dout, float* dqkv, const AttentionCoreShape& s) {
  const int64_t t = s.seq, hd = s.head_dim, d = s.heads * hd, row = 3 * d;
  float* dp = t_scores.Get(static_cast<size_t>(t * t));
  float* ds = t_grad.Get(static_cast<size_t>(t * t));
  if (dp == nullptr || ds == nullptr) std::abort();
  for (int64_t b = 0; b < s.batch; b++) {
    const float* base = qkv + b * t * row;
    float* dbase = dqkv + b * t * row;
    const float* dob = dout + b * t * d;
    for (int64_t h = 0; h < s.heads; h++) {
      const float* q = base + h * hd;
      const float* k = base + d + h * hd;
      const float* v = base + 2 * d + h * hd;
      const float* p = probs + (b * s.heads + h) * t * t;
      const float* dout_h = dob + h * hd;
      Product(p, t, true, dout_h, d, false, dbase + 2 * d + h * hd, row, t, hd, t, 1.0f);  // dV = Pᵀ dO
      Product(dout_h, d, false, v, row, true, dp, t, t, t, hd, 1.0f);                     // dP = dO Vᵀ
      AttentionSoftmaxGrad(p, dp, ds, t, t);                                                // dS
      Product(ds, t, false, k, row, false, dbase + h * hd, row, t, hd, t, s.scale);         // dQ = scale · dS K
      Product(ds, t, true, q, row, false, dbase + d + h * hd, row, t, hd, t, s.scale);      // dK = scale · dSᵀ Q
    }
  }
}

}  // namespace floe
