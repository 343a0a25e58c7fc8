// Gathering the input pixels a filter tap reads, row by row, into GEMM scratch: shared by the
// conv2d forward (conv_forward.cc) and filter gradient (conv_filter_grad.cc).
#pragma once
#include <cstdint>
#include <cstring>

#include "conv_taps.h"

namespace floe {

/** Zeroes `count` pixel slots of `len` floats, `width` apart (one memset when they touch). */
inline void ZeroPixels(float* dst, int64_t count, int64_t len, int64_t width) {
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
inline void GatherTap(const float* x, const ConvShape& s, int64_t tap, int64_t slot, int64_t width, int64_t r0, int64_t r1, float* scratch) {
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

}  // namespace floe
