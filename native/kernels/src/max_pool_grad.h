// The gradient of a 2-D max pool (compute side; the N-API entry point is in
// napi_max_pool_grad.cc, which validates every range first).
#pragma once
#include <cstdint>

namespace floe {

/** NHWC pool geometry: x and dx [batch, in_h, in_w, channels], dy [batch, out_h, out_w, channels]. */
struct PoolShape {
  int64_t batch, in_h, in_w, channels;
  int64_t out_h, out_w;
  int64_t filter_h, filter_w;  // effective (dilated) window, >= 1
  int64_t stride_h, stride_w;  // >= 1
  int64_t pad_top, pad_left;   // may be negative: the window starts inside the image
};

/**
 * dx = Σ over output positions (b, oh, ow, c) of dy there, added to the input pixel holding the
 * window's maximum, as Floe's JS kernel and tfjs-backend-cpu's maxPoolPositions find it: starting
 * from −∞ over the in-image pixels only, the first pixel in row-major order strictly greater than
 * all before it (ties go to the first; NaN never wins; a window of only NaN/−∞ passes nothing).
 * Sums are float64 in output order, rounded to float32 once, so dx is bit-identical to the JS
 * kernel's. Returns false (dx untouched) when the float64 scratch cannot be allocated.
 */
bool MaxPoolGrad(const float* x, const float* dy, float* dx, const PoolShape& s);

}  // namespace floe
