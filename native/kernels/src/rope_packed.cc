// RoPE over the packed QKV layout: a plain loop the compiler vectorises. This file gets no FMA
// target (baseline x86-64), so products and sums round separately, as tfjs's mul and add do.
#include "rope_packed.h"

#include <cstring>

namespace floe {

void RopePacked(const float* x, const float* cos, const float* sin_signed, float* out, const RopePackedShape& s) {
  const int64_t hd = s.head_dim, half = hd / 2, d = s.heads * hd, width = 3 * d;
  for (int64_t row = 0; row < s.batch * s.seq; row++) {
    const int64_t table = ((s.per_batch ? row / s.seq * s.seq : 0) + row % s.seq) * hd;
    const float* c = cos + table;
    const float* sn = sin_signed + table;
    const float* xr = x + row * width;
    float* o = out + row * width;
    for (int64_t h = 0; h < 2 * s.heads; h++) {
      const float* xh = xr + h * hd;
      float* oh = o + h * hd;
      for (int64_t i = 0; i < half; i++) {
        // i pairs with i + half; the inverse takes the partner's sine.
        const float a = xh[i] * c[i];
        const float b = xh[i + half] * (s.inverse ? sn[i + half] : sn[i]);
        oh[i] = a + b;
        const float a2 = xh[i + half] * c[i + half];
        const float b2 = xh[i] * (s.inverse ? sn[i] : sn[i + half]);
        oh[i + half] = a2 + b2;
      }
    }
    std::memcpy(o + 2 * d, xr + 2 * d, sizeof(float) * d);
  }
}

}  // namespace floe
