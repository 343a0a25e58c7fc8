// Argument checking shared by the N-API entry points of Floe's native kernels. Every kernel
// works in place on the wasm heap at byte offsets; these helpers read the heap argument afresh
// and validate each range against its current length, so a detached buffer or a bad offset
// raises a JS error and touches nothing.
#pragma once
#include <node_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "kernels.h"

namespace floe {
namespace napi {

// Largest dimension an entry point accepts, and largest operand in floats (16 TiB): products of
// checked dimensions stay far from int64 overflow.
constexpr int64_t kMaxDim = int64_t{1} << 31;
constexpr int64_t kMaxElements = int64_t{1} << 42;

#define CHECK_NAPI(env, call)                                 \
  do {                                                        \
    if ((call) != napi_ok) {                                  \
      napi_throw_error((env), nullptr, "N-API call failed");  \
      return nullptr;                                         \
    }                                                         \
  } while (0)

struct Heap {
  uint8_t* data = nullptr;
  size_t length = 0;
};

/** Reads a heap argument: a typed array (any kind; its bytes are used) or an ArrayBuffer. */
inline bool GetHeap(napi_env env, napi_value value, Heap* heap) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value buffer;
    size_t byte_offset = 0;
    if (napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, &byte_offset) != napi_ok) return false;
    size_t element = 1;
    switch (type) {
      case napi_int16_array:
      case napi_uint16_array:
        element = 2;
        break;
      case napi_int32_array:
      case napi_uint32_array:
      case napi_float32_array:
        element = 4;
        break;
      case napi_float64_array:
      case napi_bigint64_array:
      case napi_biguint64_array:
        element = 8;
        break;
      default:
        break;
    }
    heap->data = static_cast<uint8_t*>(data);
    heap->length = length * element;
    return true;
  }
  bool is_buffer = false;
  napi_is_arraybuffer(env, value, &is_buffer);
  if (!is_buffer) return false;
  void* data = nullptr;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, value, &data, &length) != napi_ok) return false;
  heap->data = static_cast<uint8_t*>(data);
  heap->length = length;
  return true;
}

/** Reads a non-negative integer argument (or -1 when `allow_minus_one`). */
inline bool GetIndex(napi_env env, napi_value value, int64_t* out, bool allow_minus_one = false) {
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok) return false;
  if (!std::isfinite(d) || d != std::floor(d) || d > 9007199254740991.0) return false;
  if (d < 0 && !(allow_minus_one && d == -1)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

inline bool GetBool(napi_env env, napi_value value, bool* out) { return napi_get_value_bool(env, value, out) == napi_ok; }

/** A float range [offset, offset + count*4) of the heap, validated. */
struct Range {
  uint64_t begin = 0, end = 0;
};

inline bool CheckRange(const Heap& heap, int64_t offset, int64_t count, Range* range) {
  if (offset % 4 != 0 || count < 0) return false;
  const uint64_t begin = static_cast<uint64_t>(offset);
  const uint64_t bytes = static_cast<uint64_t>(count) * 4u;
  if (bytes / 4u != static_cast<uint64_t>(count)) return false;
  if (begin > heap.length || bytes > heap.length - begin) return false;
  range->begin = begin;
  range->end = begin + bytes;
  return true;
}

inline bool Overlaps(const Range& x, const Range& y) { return x.begin < y.end && y.begin < x.end && x.end > x.begin && y.end > y.begin; }

inline napi_value Throw(napi_env env, const char* message) {
  napi_throw_error(env, "FLOE_NATIVE_ARGS", message);
  return nullptr;
}

/**
 * The common start of a kernel entry point: exactly `count` arguments (at most 16) into `argv`,
 * an instruction set the kernels can run when `needs_isa`, and the heap from `argv[0]`. On
 * failure a JS error naming `name` is pending and false is returned.
 */
inline bool KernelPrologue(napi_env env, napi_callback_info info, const char* name, size_t count, napi_value* argv, Heap* heap, bool needs_isa) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    napi_throw_error(env, nullptr, "N-API call failed");
    return false;
  }
  char message[160];
  if (argc != count) {
    std::snprintf(message, sizeof(message), "%s: expected %zu arguments", name, count);
  } else if (needs_isa && ActiveIsa() == Isa::kNone) {
    std::snprintf(message, sizeof(message), "%s: no supported instruction set (AVX2+FMA or AVX-512)", name);
  } else if (!GetHeap(env, argv[0], heap)) {
    std::snprintf(message, sizeof(message), "%s: heap must be a typed array or ArrayBuffer", name);
  } else {
    return true;
  }
  Throw(env, message);
  return false;
}

/** Reads a finite number argument. */
inline bool GetNumber(napi_env env, napi_value value, double* out) {
  if (napi_get_value_double(env, value, out) != napi_ok) return false;
  return std::isfinite(*out);
}

/** Adds `fn` to `exports` as `name`. */
inline void Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f) == napi_ok) napi_set_named_property(env, exports, name, f);
}

}  // namespace napi

// Each kernel family adds its entry points to the module's exports.
void RegisterGeluNorm(napi_env env, napi_value exports);      // napi_gelu_norm.cc
void RegisterCrossEntropy(napi_env env, napi_value exports);  // napi_cross_entropy.cc
void RegisterAdamW(napi_env env, napi_value exports);         // napi_adamw.cc
void RegisterAttentionSoftmax(napi_env env, napi_value exports);  // napi_attention_softmax.cc
void RegisterAttentionCore(napi_env env, napi_value exports);     // napi_attention_core.cc
void RegisterRopePacked(napi_env env, napi_value exports);        // napi_rope_packed.cc
void RegisterConvFilterGrad(napi_env env, napi_value exports);    // napi_conv_filter_grad.cc
void RegisterConvInputGrad(napi_env env, napi_value exports);     // napi_conv_input_grad.cc
void RegisterConvForward(napi_env env, napi_value exports);       // napi_conv_forward.cc
void RegisterMaxPoolGrad(napi_env env, napi_value exports);       // napi_max_pool_grad.cc

}  // namespace floe
