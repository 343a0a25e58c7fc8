// N-API entry point of the conv2d input gradient. Offsets are bytes into the heap; dy, w and dx
// are checked against the heap's current length and dx against both inputs before anything is
// read or written. The scatter writes only pixels inside dx's checked range whatever the geometry.
#include "conv_input_grad.h"
#include "kernels.h"
#include "napi_conv_shape.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

// conv2dBackpropInput(heap, dyOffset, wOffset, dxOffset, geometry) -> floats of product scratch
// this thread keeps. geometry: as conv2dBackpropFilter's (napi_conv_shape.h).
napi_value Conv2DBackpropInputCall(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Heap heap;
  if (!KernelPrologue(env, info, "conv2dBackpropInput", 5, argv, &heap, true)) return nullptr;
  int64_t dy_off, w_off, dx_off;
  if (!GetIndex(env, argv[1], &dy_off) || !GetIndex(env, argv[2], &w_off) || !GetIndex(env, argv[3], &dx_off)) {
    return Throw(env, "conv2dBackpropInput: offsets must be non-negative integers");
  }
  ConvShape s;
  if (!GetConvShape(env, argv[4], &s)) return Throw(env, "conv2dBackpropInput: " FLOE_CONV_GEOMETRY_FIELDS);
  if (s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0) return Throw(env, "conv2dBackpropInput: strides and dilations must be at least 1");
  const int64_t nx = ConvElements(s.batch, s.in_h, s.in_w, s.in_c), ndy = ConvElements(s.batch, s.out_h, s.out_w, s.out_c);
  const int64_t nw = ConvElements(s.filter_h, s.filter_w, s.in_c, s.out_c), products = ConvElements(s.batch, s.out_h, s.out_w, s.in_c);
  if (nx < 0 || ndy < 0 || nw < 0 || products < 0) return Throw(env, "conv2dBackpropInput: dimension too large");
  Range rdy, rw, rdx;
  if (!CheckRange(heap, dy_off, ndy, &rdy) || !CheckRange(heap, w_off, nw, &rw) || !CheckRange(heap, dx_off, nx, &rdx)) {
    return Throw(env, "conv2dBackpropInput: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(rdx, rdy) || Overlaps(rdx, rw)) return Throw(env, "conv2dBackpropInput: dx overlaps an input");
  if (!ConvInputGrad(reinterpret_cast<const float*>(heap.data + dy_off), reinterpret_cast<const float*>(heap.data + w_off), reinterpret_cast<float*>(heap.data + dx_off), s)) {
    return Throw(env, "conv2dBackpropInput: out of memory for the product scratch");
  }
  napi_value result;
  CHECK_NAPI(env, napi_create_double(env, static_cast<double>(ConvInputGradScratchFloats()), &result));
  return result;
}

}  // namespace

void RegisterConvInputGrad(napi_env env, napi_value exports) { napi::Export(env, exports, "conv2dBackpropInput", Conv2DBackpropInputCall); }

}  // namespace floe
