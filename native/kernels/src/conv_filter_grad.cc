// Conv2D filter gradient as GEMMs over gathered taps. A tap (fh, fw) pairs every output position
// with one input pixel (or padding); the pixels of a group of taps are gathered row by row with
// memcpy into scratch, so the packed GEMM does the arithmetic and dy is read in place as
// [batch·out_h·out_w, out_c]. dw's layout [fh, fw, ci, co] makes a group's rows contiguous.
#include "conv_filter_grad.h"

#include <algorithm>
#include <cstring>

#include "conv_gather.h"
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
