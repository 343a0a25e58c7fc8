// Geometry shared by the conv2d kernels (conv_forward.cc, conv_filter_grad.cc, conv_input_grad.cc).
#pragma once
#include <algorithm>
#include <cstdint>

namespace floe {

/** NHWC geometry: x [batch, in_h, in_w, in_c], dy [batch, out_h, out_w, out_c], w [filter_h, filter_w, in_c, out_c]. */
struct ConvShape {
  int64_t batch, in_h, in_w, in_c;
  int64_t out_h, out_w, out_c;
  int64_t filter_h, filter_w;
  int64_t stride_h, stride_w;      // >= 1
  int64_t dilation_h, dilation_w;  // >= 1
  int64_t pad_top, pad_left;       // >= 0
};

/** Output positions [lo, hi) along one axis whose tap at `offset` (f·dilation − pad) reads inside [0, in). */
inline void TapRange(int64_t offset, int64_t stride, int64_t in, int64_t out, int64_t* lo, int64_t* hi) {
  int64_t l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t h = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  l = std::min(l, out);
  h = std::min(h, out);
  *lo = l;
  *hi = std::max(l, h);
}

/**
 * Where filter tap `tap` (row-major over filter_h × filter_w) reads: its offsets into the input
 * (f·dilation − pad) and the output rows [oh_lo, oh_hi) and columns [ow_lo, ow_hi) whose read of
 * it lands inside the input (outside them it reads padding).
 */
struct TapWindow {
  int64_t row_off, col_off;
  int64_t oh_lo, oh_hi, ow_lo, ow_hi;
};

inline TapWindow TapWindowOf(const ConvShape& s, int64_t tap) {
  TapWindow w;
  w.row_off = (tap / s.filter_w) * s.dilation_h - s.pad_top;
  w.col_off = (tap % s.filter_w) * s.dilation_w - s.pad_left;
  TapRange(w.row_off, s.stride_h, s.in_h, s.out_h, &w.oh_lo, &w.oh_hi);
  TapRange(w.col_off, s.stride_w, s.in_w, s.out_w, &w.ow_lo, &w.ow_hi);
  return w;
}

/** True when the only tap reads x itself, pixel for pixel (1×1 filter, stride 1, no padding). */
inline bool TapIsInput(const ConvShape& s) {
  return s.filter_h == 1 && s.filter_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 && s.pad_left == 0 && s.in_h == s.out_h && s.in_w == s.out_w;
}

}  // namespace floe
