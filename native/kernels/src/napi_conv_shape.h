// Reading and sizing the conv2d kernels' geometry argument (napi_conv_forward.cc,
// napi_conv_filter_grad.cc, napi_conv_input_grad.cc).
#pragma once
#include "conv_taps.h"
#include "napi_util.h"

namespace floe {
namespace napi {

/** Reads the non-negative integer property `key` (at most kMaxDim) of `object`. */
inline bool GetConvField(napi_env env, napi_value object, const char* key, int64_t* out) {
  napi_value v;
  return napi_get_named_property(env, object, key, &v) == napi_ok && GetIndex(env, v, out) && *out <= kMaxDim;
}

/** `a·b·c·d` when it stays within kMaxElements (each factor already ≤ kMaxDim), else -1. */
inline int64_t ConvElements(int64_t a, int64_t b, int64_t c, int64_t d) {
  const int64_t factors[] = {a, b, c, d};
  int64_t n = 1;
  for (const int64_t f : factors) {
    if (f != 0 && n > kMaxElements / f) return -1;
    n *= f;
  }
  return n;
}

/** Reads the geometry object (tfjs's Conv2DInfo field names, padTop/padLeft from its padInfo). */
inline bool GetConvShape(napi_env env, napi_value g, ConvShape* s) {
  return GetConvField(env, g, "batchSize", &s->batch) && GetConvField(env, g, "inHeight", &s->in_h) && GetConvField(env, g, "inWidth", &s->in_w) &&
         GetConvField(env, g, "inChannels", &s->in_c) && GetConvField(env, g, "outHeight", &s->out_h) && GetConvField(env, g, "outWidth", &s->out_w) &&
         GetConvField(env, g, "outChannels", &s->out_c) && GetConvField(env, g, "filterHeight", &s->filter_h) && GetConvField(env, g, "filterWidth", &s->filter_w) &&
         GetConvField(env, g, "strideHeight", &s->stride_h) && GetConvField(env, g, "strideWidth", &s->stride_w) && GetConvField(env, g, "dilationHeight", &s->dilation_h) &&
         GetConvField(env, g, "dilationWidth", &s->dilation_w) && GetConvField(env, g, "padTop", &s->pad_top) && GetConvField(env, g, "padLeft", &s->pad_left);
}

/** What a geometry object must hold, for the refusal of `kernel`. */
#define FLOE_CONV_GEOMETRY_FIELDS                                                                                                        \
  "geometry needs batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, " \
  "strideWidth, dilationHeight, dilationWidth, padTop and padLeft as non-negative integers up to 2^31"

}  // namespace napi
}  // namespace floe
