// Conv2D forward as GEMMs over gathered taps: the rows every tap reads are gathered with memcpy
// (GatherTap, shared with the filter gradient) into scratch, so the packed GEMM does the
// arithmetic; w's HWIO layout [fh, fw, ci, co] is the GEMM's [taps·in_c, out_c] operand in place.
#include "conv_forward.h"

#include <algorithm>

#include "conv_gather.h"
#include "scratch.h"

namespace floe {
namespace {

// Floats of gathered taps one GEMM may use (as the gradients: 8 MiB); a chunk is never less than
// one output row, since the epilogue (bias, activation) needs the whole sum over taps.
constexpr int64_t kChunkFloats = int64_t{1} << 21;

thread_local Scratch t_taps;

}  // namespace

bool ConvForward(const float* x, const float* w, const float* bias, Activation activation, float* y, const ConvShape& s) {
  const int64_t taps = s.filter_h * s.filter_w;
  const int64_t rows = s.batch * s.out_h;
  if (rows == 0 || s.out_w == 0 || s.out_c == 0) return true;
  GemmProblem p;
  p.b = w;
  p.bias = bias;
  p.n = s.out_c;
  p.k = taps * s.in_c;  // 0: the GEMM writes the epilogue of zero (bias, activated)
  p.trans_a = false;
  p.trans_b = false;
  p.activation = activation;
  if (p.k == 0 || TapIsInput(s)) {
    p.a = x;  // unread when k == 0
    p.c = y;
    p.m = rows * s.out_w;
    Gemm(p);
    return true;
  }
  const int64_t row_floats = s.out_w * p.k;
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(rows, kChunkFloats / row_floats));
  float* scratch = t_taps.Get(static_cast<size_t>(chunk * row_floats));
  if (scratch == nullptr) return false;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t r1 = std::min(rows, r0 + chunk);
    for (int64_t t = 0; t < taps; t++) GatherTap(x, s, t, t, p.k, r0, r1, scratch);
    p.a = scratch;
    p.m = (r1 - r0) * s.out_w;
    p.c = y + r0 * s.out_w * s.out_c;
    Gemm(p);
  }
  return true;
}

int64_t ConvForwardScratchFloats() { return static_cast<int64_t>(t_taps.size); }

}  // namespace floe
