// N-API entry point of the max-pool gradient. Offsets are bytes into the heap; x, dy and dx are
// checked against the heap's current length and dx against both inputs before anything is read
// or written. Windows are clamped to the image, so only pixels inside x and dx are touched
// whatever the geometry.
#include <cmath>

#include "max_pool_grad.h"
#include "napi_conv_shape.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

/** Reads the integer property `key` of `object`, within ±kMaxDim (pads may be negative). */
bool GetPad(napi_env env, napi_value object, const char* key, int64_t* out) {
  napi_value v;
  double d = 0;
  if (napi_get_named_property(env, object, key, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > static_cast<double>(kMaxDim)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool GetPoolShape(napi_env env, napi_value g, PoolShape* s) {
  return GetConvField(env, g, "batch", &s->batch) && GetConvField(env, g, "inHeight", &s->in_h) && GetConvField(env, g, "inWidth", &s->in_w) &&
         GetConvField(env, g, "channels", &s->channels) && GetConvField(env, g, "outHeight", &s->out_h) && GetConvField(env, g, "outWidth", &s->out_w) &&
         GetConvField(env, g, "filterHeight", &s->filter_h) && GetConvField(env, g, "filterWidth", &s->filter_w) &&
         GetConvField(env, g, "strideHeight", &s->stride_h) && GetConvField(env, g, "strideWidth", &s->stride_w) && GetPad(env, g, "padTop", &s->pad_top) &&
         GetPad(env, g, "padLeft", &s->pad_left);
}

// maxPoolGrad(heap, xOffset, dyOffset, dxOffset, geometry). geometry: { batch, inHeight, inWidth,
// channels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padTop,
// padLeft } (Floe's PoolWindows of a 2-D pool).
napi_value MaxPoolGradCall(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Heap heap;
  if (!KernelPrologue(env, info, "maxPoolGrad", 5, argv, &heap, false)) return nullptr;
  int64_t x_off, dy_off, dx_off;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &dy_off) || !GetIndex(env, argv[3], &dx_off)) {
    return Throw(env, "maxPoolGrad: offsets must be non-negative integers");
  }
  PoolShape s;
  if (!GetPoolShape(env, argv[4], &s)) {
    return Throw(env,
                 "maxPoolGrad: geometry needs batch, inHeight, inWidth, channels, outHeight, outWidth, filterHeight, filterWidth, strideHeight and "
                 "strideWidth as non-negative integers up to 2^31, and padTop and padLeft as integers within ±2^31");
  }
  if (s.stride_h == 0 || s.stride_w == 0 || s.filter_h == 0 || s.filter_w == 0) return Throw(env, "maxPoolGrad: strides and window sizes must be at least 1");
  const int64_t nx = ConvElements(s.batch, s.in_h, s.in_w, s.channels), ndy = ConvElements(s.batch, s.out_h, s.out_w, s.channels);
  if (nx < 0 || ndy < 0) return Throw(env, "maxPoolGrad: dimension too large");
  Range rx, rdy, rdx;
  if (!CheckRange(heap, x_off, nx, &rx) || !CheckRange(heap, dy_off, ndy, &rdy) || !CheckRange(heap, dx_off, nx, &rdx)) {
    return Throw(env, "maxPoolGrad: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rdx, rx) || Overlaps(rdx, rdy)) return Throw(env, "maxPoolGrad: dx overlaps an input");
  if (!MaxPoolGrad(reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<const float*>(heap.data + dy_off), reinterpret_cast<float*>(heap.data + dx_off), s)) {
    return Throw(env, "maxPoolGrad: out of memory for the float64 sums");
  }
  return nullptr;
}

}  // namespace

void RegisterMaxPoolGrad(napi_env env, napi_value exports) { napi::Export(env, exports, "maxPoolGrad", MaxPoolGradCall); }

}  // namespace floe
