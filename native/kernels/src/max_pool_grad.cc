// Max-pool gradient: each window's maximum found per channel (channels innermost, contiguous),
// then its dy added to that pixel. Windows that cannot share a pixel (strides ≥ window) give each
// dx element at most one term, so float32 adds onto zero are exact; overlapping windows sum in a
// per-thread float64 plane of one image, in output order, as the JS kernel does.
#include "max_pool_grad.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "scratch.h"

namespace floe {
namespace {

// Per-thread, grown only: channels running maxima and offsets, and one image of float64 sums.
thread_local Scratch t_best, t_at, t_sums;

/**
 * One pixel's channels against the running maxima: strictly greater wins, so the first maximum
 * keeps ties and NaN (never greater) never wins. Branch-free selects (a lane mask), so it vectorises.
 */
template <typename Index>
inline void Challenge(const float* __restrict px, Index p, int64_t c_n, float* __restrict best, Index* __restrict at) {
  for (int64_t c = 0; c < c_n; c++) {
    const float v = px[c], b = best[c];
    const Index mask = -static_cast<Index>(v > b);
    best[c] = v > b ? v : b;
    at[c] = (at[c] & ~mask) | ((p + static_cast<Index>(c)) & mask);
  }
}

/**
 * Calls add(element offset in the image, dy value) for each channel's winner of every window of
 * image b, in output order (oh, ow, c ascending). best/at hold `channels` entries; `Index` is
 * int32_t when an image's offsets fit it (the compare-and-select loop then vectorises: a float
 * mask selects 32-bit lanes), else int64_t.
 */
template <typename Index, typename Add>
void ScatterImage(const float* x, const float* dy, const PoolShape& s, int64_t b, float* __restrict best, Index* __restrict at, Add add) {
  const int64_t c_n = s.channels;
  const float* image = x + b * s.in_h * s.in_w * c_n;
  const float* dy_image = dy + b * s.out_h * s.out_w * c_n;
  for (int64_t oh = 0; oh < s.out_h; oh++) {
    const int64_t r0 = oh * s.stride_h - s.pad_top;
    const int64_t r_lo = std::max<int64_t>(0, r0), r_hi = std::min(s.in_h, r0 + s.filter_h);
    for (int64_t ow = 0; ow < s.out_w; ow++) {
      const int64_t c0 = ow * s.stride_w - s.pad_left;
      const int64_t col_lo = std::max<int64_t>(0, c0), col_hi = std::min(s.in_w, c0 + s.filter_w);
      std::fill(best, best + c_n, -std::numeric_limits<float>::infinity());
      std::fill(at, at + c_n, Index{-1});
      for (int64_t r = r_lo; r < r_hi; r++) {
        for (int64_t col = col_lo; col < col_hi; col++) {
          const Index p = static_cast<Index>((r * s.in_w + col) * c_n);
          Challenge(image + p, p, c_n, best, at);
        }
      }
      const float* g = dy_image + (oh * s.out_w + ow) * c_n;
      for (int64_t c = 0; c < c_n; c++) {
        if (at[c] >= 0) add(static_cast<int64_t>(at[c]), g[c]);
      }
    }
  }
}

}  // namespace

namespace {

template <typename Index>
bool MaxPoolGradWith(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const int64_t c_n = s.channels, image = s.in_h * s.in_w * c_n;
  const bool overlap = s.stride_h < s.filter_h || s.stride_w < s.filter_w;
  // Scratch counts floats; int64 and double take two each (its 64-byte alignment fits both).
  float* best = t_best.Get(static_cast<size_t>(std::max<int64_t>(c_n, 1)));
  Index* at = reinterpret_cast<Index*>(t_at.Get(static_cast<size_t>(2 * std::max<int64_t>(c_n, 1))));
  double* sums = overlap ? reinterpret_cast<double*>(t_sums.Get(static_cast<size_t>(2 * std::max<int64_t>(image, 1)))) : nullptr;
  if (best == nullptr || at == nullptr || (overlap && sums == nullptr)) return false;
  for (int64_t b = 0; b < s.batch; b++) {
    float* out = dx + b * image;
    if (!overlap) {
      // At most one term per element: 0.0f + v is what float64 0 + v rounds to (−0 becomes +0 alike).
      std::memset(out, 0, static_cast<size_t>(image) * sizeof(float));
      ScatterImage(x, dy, s, b, best, at, [out](int64_t i, float v) { out[i] += v; });
      continue;
    }
    std::fill(sums, sums + image, 0.0);
    ScatterImage(x, dy, s, b, best, at, [sums](int64_t i, float v) { sums[i] += static_cast<double>(v); });
    for (int64_t i = 0; i < image; i++) out[i] = static_cast<float>(sums[i]);
  }
  return true;
}

}  // namespace

bool MaxPoolGrad(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const bool narrow = s.in_h * s.in_w * s.channels <= std::numeric_limits<int32_t>::max();
  return narrow ? MaxPoolGradWith<int32_t>(x, dy, dx, s) : MaxPoolGradWith<int64_t>(x, dy, dx, s);
}

}  // namespace floe
