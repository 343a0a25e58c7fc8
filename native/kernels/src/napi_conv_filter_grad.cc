// N-API entry point of the conv2d filter gradient. Offsets are bytes into the heap; x, dy and dw
// are checked against the heap's current length and dw against both inputs before anything is
// read or written. The gather reads only pixels inside x's checked range whatever the geometry.
#include "conv_filter_grad.h"
#include "kernels.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

/** Reads the non-negative integer property `key` of `object`. */
bool GetField(napi_env env, napi_value object, const char* key, int64_t* out) {
  napi_value v;
  return napi_get_named_property(env, object, key, &v) == napi_ok && GetIndex(env, v, out) && *out <= kMaxDim;
}

/** `a·b·c·d` when it stays within kMaxElements (each factor already ≤ kMaxDim), else -1. */
int64_t Elements(int64_t a, int64_t b, int64_t c, int64_t d) {
  const int64_t factors[] = {a, b, c, d};
  int64_t n = 1;
  for (const int64_t f : factors) {
    if (f != 0 && n > kMaxElements / f) return -1;
    n *= f;
  }
  return n;
}

/** Reads the geometry object (tfjs's Conv2DInfo field names, padTop/padLeft from its padInfo). */
bool GetShape(napi_env env, napi_value g, ConvFilterGradShape* s) {
  return GetField(env, g, "batchSize", &s->batch) && GetField(env, g, "inHeight", &s->in_h) && GetField(env, g, "inWidth", &s->in_w) &&
         GetField(env, g, "inChannels", &s->in_c) && GetField(env, g, "outHeight", &s->out_h) && GetField(env, g, "outWidth", &s->out_w) &&
         GetField(env, g, "outChannels", &s->out_c) && GetField(env, g, "filterHeight", &s->filter_h) && GetField(env, g, "filterWidth", &s->filter_w) &&
         GetField(env, g, "strideHeight", &s->stride_h) && GetField(env, g, "strideWidth", &s->stride_w) && GetField(env, g, "dilationHeight", &s->dilation_h) &&
         GetField(env, g, "dilationWidth", &s->dilation_w) && GetField(env, g, "padTop", &s->pad_top) && GetField(env, g, "padLeft", &s->pad_left);
}

// conv2dBackpropFilter(heap, xOffset, dyOffset, dwOffset, geometry) -> floats of gather scratch
// this thread keeps. geometry: { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth,
// outChannels, filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight,
// dilationWidth, padTop, padLeft }.
napi_value Conv2DBackpropFilterCall(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Heap heap;
  if (!KernelPrologue(env, info, "conv2dBackpropFilter", 5, argv, &heap, true)) return nullptr;
  int64_t x_off, dy_off, dw_off;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &dy_off) || !GetIndex(env, argv[3], &dw_off)) {
    return Throw(env, "conv2dBackpropFilter: offsets must be non-negative integers");
  }
  ConvFilterGradShape s;
  if (!GetShape(env, argv[4], &s)) {
    return Throw(env, "conv2dBackpropFilter: geometry needs batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, "
                      "strideHeight, strideWidth, dilationHeight, dilationWidth, padTop and padLeft as non-negative integers up to 2^31");
  }
  if (s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0) return Throw(env, "conv2dBackpropFilter: strides and dilations must be at least 1");
  const int64_t nx = Elements(s.batch, s.in_h, s.in_w, s.in_c), ndy = Elements(s.batch, s.out_h, s.out_w, s.out_c);
  const int64_t ndw = Elements(s.filter_h, s.filter_w, s.in_c, s.out_c), gather = Elements(s.batch, s.out_h, s.out_w, s.in_c);
  if (nx < 0 || ndy < 0 || ndw < 0 || gather < 0) return Throw(env, "conv2dBackpropFilter: dimension too large");
  Range rx, rdy, rdw;
  if (!CheckRange(heap, x_off, nx, &rx) || !CheckRange(heap, dy_off, ndy, &rdy) || !CheckRange(heap, dw_off, ndw, &rdw)) {
    return Throw(env, "conv2dBackpropFilter: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rdw, rx) || Overlaps(rdw, rdy)) return Throw(env, "conv2dBackpropFilter: dw overlaps an input");
  if (!ConvFilterGrad(reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<const float*>(heap.data + dy_off), reinterpret_cast<float*>(heap.data + dw_off), s)) {
    return Throw(env, "conv2dBackpropFilter: out of memory for the gather scratch");
  }
  napi_value result;
  CHECK_NAPI(env, napi_create_double(env, static_cast<double>(ConvFilterGradScratchFloats()), &result));
  return result;
}

}  // namespace

void RegisterConvFilterGrad(napi_env env, napi_value exports) { napi::Export(env, exports, "conv2dBackpropFilter", Conv2DBackpropFilterCall); }

}  // namespace floe
