// Conv2D input gradient as GEMMs plus a scatter-add. A tap (fh, fw) sends every output position's
// dy row, times w[fh, fw]ᵀ, to one input pixel (or to the padding, dropped). For a group of taps
// one packed GEMM computes those products for all positions (dy read in place as
// [batch·out_h·out_w, out_c], w's rows of the group contiguous in its [fh, fw, ci, co] layout),
// then each tap's column block is added into the pixels it reads. Compared with the stock
// kernel's per-pixel loops, the arithmetic runs in the GEMM's micro-kernel and the scatter is a
// memory-bound pass of in_c-long adds.
#include "conv_input_grad.h"

#include <algorithm>
#include <cstring>

#include "kernels.h"
#include "scratch.h"

namespace floe {
namespace {

// Scratch one GEMM may fill: 8 MiB, as in conv_filter_grad.cc. Several taps share a GEMM while
// their products fit (dy packed once for them, a wider GEMM); a tap larger than that runs in
// chunks of output rows (each chunk's rows scatter into dx on their own, so nothing is summed
// between chunks). The scratch a thread keeps is bounded whatever the layer.
constexpr int64_t kGroupFloats = int64_t{1} << 21;

thread_local Scratch t_products;

/** dst[i] += src[i] for i < n. */
inline void AddRow(float* __restrict dst, const float* __restrict src, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

/**
 * Adds column block `slot` (in_c wide) of the [(r1 − r0)·out_w, width] products of output rows
 * [r0, r1) (an output row is one (b, oh)) into the input pixels tap `tap` reads.
 */
void ScatterTap(const float* products, const ConvShape& s, int64_t tap, int64_t slot, int64_t width, int64_t r0, int64_t r1, float* dx) {
  const TapWindow t = TapWindowOf(s, tap);
  const int64_t row_off = t.row_off, col_off = t.col_off, oh_lo = t.oh_lo, oh_hi = t.oh_hi, ow_lo = t.ow_lo;
  const int64_t c = s.in_c, count = t.ow_hi - ow_lo;
  if (count == 0) return;
  const int64_t x_step = s.stride_w * c;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / s.out_h, oh = r % s.out_h;
    if (oh < oh_lo || oh >= oh_hi) continue;
    const float* src = products + ((r - r0) * s.out_w + ow_lo) * width + slot * c;
    float* dst = dx + ((b * s.in_h + oh * s.stride_h + row_off) * s.in_w + ow_lo * s.stride_w + col_off) * c;
    if (x_step == c && width == c) {
      AddRow(dst, src, count * c);  // stride 1, one tap per GEMM: the run is one block
    } else {
      for (int64_t k = 0; k < count; k++) AddRow(dst + k * x_step, src + k * width, c);
    }
  }
}

}  // namespace

bool ConvInputGrad(const float* dy, const float* w, float* dx, const ConvShape& s) {
  const int64_t taps = s.filter_h * s.filter_w;
  const int64_t positions = s.batch * s.out_h * s.out_w;
  const int64_t nx = s.batch * s.in_h * s.in_w * s.in_c;
  if (nx == 0) return true;
  GemmProblem p;
  p.a = dy;
  p.bias = nullptr;
  p.k = s.out_c;
  p.trans_a = false;
  p.trans_b = true;  // w's rows of a group are [taps·in_c, out_c]: its transpose is the right operand
  p.activation = Activation::kLinear;
  if (taps > 0 && positions > 0 && TapIsInput(s)) {
    p.b = w;
    p.c = dx;  // the one tap writes every pixel once: dx = dy · wᵀ, no scratch
    p.m = positions;
    p.n = s.in_c;
    Gemm(p);
    return true;
  }
  if (taps == 0 || positions == 0) {
    std::memset(dx, 0, sizeof(float) * nx);
    return true;
  }
  const int64_t rows = s.batch * s.out_h, row_floats = s.out_w * s.in_c;
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(taps, kGroupFloats / (rows * row_floats)));
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(rows, kGroupFloats / (group * row_floats)));
  float* products = t_products.Get(static_cast<size_t>(chunk * group * row_floats));
  if (products == nullptr) return false;
  std::memset(dx, 0, sizeof(float) * nx);
  for (int64_t t0 = 0; t0 < taps; t0 += group) {
    const int64_t g = std::min(group, taps - t0);
    const int64_t width = g * s.in_c;
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
      const int64_t r1 = std::min(rows, r0 + chunk);
      p.a = dy + r0 * s.out_w * s.out_c;
      p.b = w + t0 * s.in_c * s.out_c;
      p.c = products;
      p.m = (r1 - r0) * s.out_w;
      p.n = width;
      Gemm(p);
      for (int64_t j = 0; j < g; j++) ScatterTap(products, s, t0 + j, j, width, r0, r1, dx);
    }
  }
  return true;
}

int64_t ConvInputGradScratchFloats() { return static_cast<int64_t>(t_products.size); }

}  // namespace floe
