// N-API entry point of the conv2d forward. Offsets are bytes into the heap; x, w, bias and y are
// checked against the heap's current length and y against every input before anything is read or
// written. The gather reads only pixels inside x's checked range whatever the geometry.
#include "conv_forward.h"
#include "kernels.h"
#include "napi_conv_shape.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

// conv2d(heap, xOffset, wOffset, biasOffset (-1: none), yOffset, geometry, activation) -> floats of
// gather scratch this thread keeps. geometry as conv2dBackpropFilter's; activation 0 linear, 1 relu, 2 relu6.
napi_value Conv2DCall(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Heap heap;
  if (!KernelPrologue(env, info, "conv2d", 7, argv, &heap, true)) return nullptr;
  int64_t x_off, w_off, bias_off, y_off, act;
  if (!GetIndex(env, argv[1], &x_off) || !GetIndex(env, argv[2], &w_off) || !GetIndex(env, argv[3], &bias_off, true) || !GetIndex(env, argv[4], &y_off)) {
    return Throw(env, "conv2d: offsets must be non-negative integers (bias -1 for none)");
  }
  if (!GetIndex(env, argv[6], &act) || act > 2) return Throw(env, "conv2d: activation must be 0 (linear), 1 (relu) or 2 (relu6)");
  ConvShape s;
  if (!GetConvShape(env, argv[5], &s)) return Throw(env, "conv2d: " FLOE_CONV_GEOMETRY_FIELDS);
  if (s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0) return Throw(env, "conv2d: strides and dilations must be at least 1");
  const int64_t nx = ConvElements(s.batch, s.in_h, s.in_w, s.in_c), ny = ConvElements(s.batch, s.out_h, s.out_w, s.out_c);
  const int64_t nw = ConvElements(s.filter_h, s.filter_w, s.in_c, s.out_c), gather = ConvElements(s.out_w, s.filter_h, s.filter_w, s.in_c);
  if (nx < 0 || ny < 0 || nw < 0 || gather < 0) return Throw(env, "conv2d: dimension too large");
  Range rx, rw, ry, rbias;
  if (!CheckRange(heap, x_off, nx, &rx) || !CheckRange(heap, w_off, nw, &rw) || !CheckRange(heap, y_off, ny, &ry) || (bias_off >= 0 && !CheckRange(heap, bias_off, s.out_c, &rbias))) {
    return Throw(env, "conv2d: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
  }
  if (Overlaps(ry, rx) || Overlaps(ry, rw) || (bias_off >= 0 && Overlaps(ry, rbias))) return Throw(env, "conv2d: y overlaps an input");
  const float* bias = bias_off >= 0 ? reinterpret_cast<const float*>(heap.data + bias_off) : nullptr;
  if (!ConvForward(reinterpret_cast<const float*>(heap.data + x_off), reinterpret_cast<const float*>(heap.data + w_off), bias, static_cast<Activation>(act), reinterpret_cast<float*>(heap.data + y_off), s)) {
    return Throw(env, "conv2d: out of memory for the gather scratch");
  }
  napi_value result;
  CHECK_NAPI(env, napi_create_double(env, static_cast<double>(ConvForwardScratchFloats()), &result));
  return result;
}

}  // namespace

void RegisterConvForward(napi_env env, napi_value exports) { napi::Export(env, exports, "conv2d", Conv2DCall); }

}  // namespace floe
