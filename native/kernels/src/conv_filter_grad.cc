// Conv2D filter gradient as GEMMs over gathered taps. A tap (fh, fw) pairs every output position
// with one input pixel (or padding); the pixels of a group of taps are gathered row by row with
// memcpy into scratch, so the packed GEMM does the arithmetic and dy is read in place as
// [batch·out_h·out_w, out_c]. dw's layout [fh, fw, ci, co] makes a group's rows contiguous.
#include "conv_filter_grad.h"

#include <algorithm>
#include <cstring>

#include "kernels.h"
#include "scratch.h"

namespace floe {
namespace {

// Scratch the taps of one GEMM may fill: 8 MiB. Several taps per GEMM when they fit (dy is then
// packed once for all of them, and a layer with few input channels gets a taller GEMM); a tap
// larger than that is split into chunks of output rows, each one GEMM added into dW. So the
// scratch a thread keeps is bounded whatever the layer.
constexpr int64_t kGroupFloats = int64_t{1} << 21;

thread_local Scratch t_taps;
thread_local Scratch t_partial;  // one chunk's product, before it is added into dW

/** Zeroes `count` pixel slots of `len` floats, `width` apart (one memset when they touch). */
void ZeroPixels(float* dst, int64_t count, int64_t len, int64_t width) {
  if (count <= 0) return;
  if (len == width) {
    std::memset(dst, 0, sizeof(float) * count * len);
    return;
  }
  for (int64_t k = 0; k < count; k++) std::memset(dst + k * width, 0, sizeof(float) * len);
}

/**
 * Writes tap `tap`'s input rows for output rows [r0, r1) (an output row is one (b, oh)) into
 * column block `slot` of the [(r1 − r0)·out_w, width] scratch.
 */
void GatherTap(const float* x, const ConvShape& s, int64_t tap, int64_t slot, int64_t width, int64_t r0, int64_t r1, float* scratch) {
  const TapWindow t = TapWindowOf(s, tap);
  const int64_t row_off = t.row_off, col_off = t.col_off, oh_lo = t.oh_lo, oh_hi = t.oh_hi, ow_lo = t.ow_lo, ow_hi = t.ow_hi;
  const int64_t c = s.in_c, count = ow_hi - ow_lo;
  const int64_t x_step = s.stride_w * c;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / s.out_h, oh = r % s.out_h;
    float* dst = scratch + (r - r0) * s.out_w * width + slot * c;
    if (oh < oh_lo || oh >= oh_hi || count == 0) {
      ZeroPixels(dst, s.out_w, c, width);
      continue;
    }
    ZeroPixels(dst, ow_lo, c, width);
    const float* src = x + ((b * s.in_h + oh * s.stride_h + row_off) * s.in_w + ow_lo * s.stride_w + col_off) * c;
    float* run = dst + ow_lo * width;
    if (x_step == c && width == c) {
      std::memcpy(run, src, sizeof(float) * count * c);  // stride 1, one tap: the run is one block
    } else {
      for (int64_t k = 0; k < count; k++) std::memcpy(run + k * width, src + k * x_step, sizeof(float) * c);
    }
    ZeroPixels(dst + ow_hi * width, s.out_w - ow_hi, c, width);
  }
}

}  // namespace

bool ConvFilterGrad(const float* x, const float* dy, float* dw, const ConvShape& s) {
  const int64_t taps = s.filter_h * s.filter_w;
  const int64_t positions = s.batch * s.out_h * s.out_w;
  if (taps == 0 || s.in_c == 0 || s.out_c == 0) return true;
  GemmProblem p;
  p.b = dy;
  p.bias = nullptr;
  p.n = s.out_c;
  p.k = positions;
  p.trans_a = true;  // scratch is [positions, taps·in_c]: its transpose is the GEMM's left operand
  p.trans_b = false;
  p.activation = Activation::kLinear;
  if (positions == 0 || TapIsInput(s)) {
    p.a = x;  // unread when positions == 0 (the GEMM zeroes dw)
    p.c = dw;
    p.m = taps * s.in_c;
    Gemm(p);
    return true;
  }
  const int64_t rows = s.batch * s.out_h, row_floats = s.out_w * s.in_c;
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(taps, kGroupFloats / (rows * row_floats)));
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(rows, kGroupFloats / (group * row_floats)));
  float* scratch = t_taps.Get(static_cast<size_t>(chunk * group * row_floats));
  float* partial = chunk < rows ? t_partial.Get(static_cast<size_t>(s.in_c * s.out_c)) : nullptr;
  if (scratch == nullptr || (chunk < rows && partial == nullptr)) return false;
  for (int64_t t0 = 0; t0 < taps; t0 += group) {
    const int64_t g = std::min(group, taps - t0);
    const int64_t width = g * s.in_c;
    float* block = dw + t0 * s.in_c * s.out_c;
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
      const int64_t r1 = std::min(rows, r0 + chunk);
      for (int64_t j = 0; j < g; j++) GatherTap(x, s, t0 + j, j, width, r0, r1, scratch);
      p.a = scratch;
      p.m = width;
      p.k = (r1 - r0) * s.out_w;
      p.b = dy + r0 * s.out_w * s.out_c;
      p.c = r0 == 0 ? block : partial;
      Gemm(p);
      if (r0 > 0) {
        for (int64_t i = 0; i < width * s.out_c; i++) block[i] += partial[i];
      }
    }
  }
  return true;
}

int64_t ConvFilterGradScratchFloats() { return static_cast<int64_t>(t_taps.size + t_partial.size); }

}  // namespace floe
