// Fused Adam/AdamW update (compute side; the N-API entry point is in napi_adamw.cc).
#pragma once
#include <cstdint>

namespace floe {

/** How weight decay enters the update of a decayed variable. */
enum class AdamDecay { kNone = 0, kDecoupled = 1, kL2 = 2 };

/** Hyper-parameters shared by every variable of one update, already rounded to float32. */
struct AdamHyper {
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float eps;
  AdamDecay decay;
  /** AdamW: the factor `1 - lr*wd` of the value; Adam: `wd`, the L2 coefficient. */
  float decay_value;
  /** Multiplies every gradient first (gradient clipping); 1 with has_scale false skips it. */
  bool has_scale;
  float scale;
};

/** One variable: inputs are read, new buffers written; m/v null on the first update (zeros). */
struct AdamTensor {
  const float* param;
  const float* grad;
  const float* m;  // nullptr: zeros
  const float* v;  // nullptr: zeros
  float* out_param;
  float* out_m;
  float* out_v;
  int64_t size;
  /** lr / (1 - beta1^t), from float64. */
  float step_size;
  /** sqrt(1 - beta2^t), from float64. */
  float bias2_sqrt;
  /** Whether the decay applies to this variable. */
  bool decay;
};

/**
 * One Adam step of `t` in the float32 operation order of src/optim/adam-update.ts (each
 * product, sum, quotient and root rounded on its own, never fused), so results match the tfjs
 * path bit for bit: g = g*scale; AdamW p = p*(1-lr*wd) or Adam g = g + p*wd (decayed only);
 * m = m*b1 + g*(1-b1); v = v*b2 + (g*g)*(1-b2); p = p - (m / (sqrt(v)/bc2 + eps)) * step_size.
 */
void AdamUpdate(const AdamHyper& h, const AdamTensor& t);

}  // namespace floe
