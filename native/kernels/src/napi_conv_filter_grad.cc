// N-API entry point of the conv2d filter gradient. Offsets are bytes into the heap; x, dy and dw
// are checked against the heap's current length and dw against both inputs before anything is
// read or written. The gather reads only pixels inside x's checked range whatever the geometry.
#include "conv_filter_grad.h"
#include "kernels.h"
#include "napi_conv_shape.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

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
  ConvShape s;
  if (!GetConvShape(env, argv[4], &s)) {
    return Throw(env, "conv2dBackpropFilter: " FLOE_CONV_GEOMETRY_FIELDS);
  }
  if (s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0) return Throw(env, "conv2dBackpropFilter: strides and dilations must be at least 1");
  const int64_t nx = ConvElements(s.batch, s.in_h, s.in_w, s.in_c), ndy = ConvElements(s.batch, s.out_h, s.out_w, s.out_c);
  const int64_t ndw = ConvElements(s.filter_h, s.filter_w, s.in_c, s.out_c), gather = ConvElements(s.batch, s.out_h, s.out_w, s.in_c);
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
