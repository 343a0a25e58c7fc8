// N-API entry point of the fused Adam/AdamW update over all variables of a step in one call.
#include <algorithm>
#include <cstring>
#include <vector>

#include "adamw.h"
#include "napi_util.h"

namespace floe {
namespace {

using namespace napi;

// Per-variable row of the table: byte offsets (m, v: -1 when absent), size in floats, the
// variable's bias-correction scalars and its decay flag.
enum TableField { kParam, kGrad, kM, kV, kOutParam, kOutM, kOutV, kSize, kStepSize, kBias2Sqrt, kDecay, kTableFields };
// Shared hyper-parameters; the scale is a float32 scalar on the heap (-1: none).
enum HyperField { kBeta1, kOneMinusBeta1, kBeta2, kOneMinusBeta2, kEps, kDecayMode, kDecayValue, kScaleOffset, kHyperFields };

/** A Float64Array argument's values, or false if it is something else. */
bool GetFloat64s(napi_env env, napi_value value, const double** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* raw = nullptr;
  napi_value buffer;
  size_t byte_offset = 0;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &byte_offset) != napi_ok) return false;
  if (type != napi_float64_array || (*length > 0 && raw == nullptr)) return false;
  *data = static_cast<const double*>(raw);
  return true;
}

/** A table entry that must be an integer >= 0 (or -1 when `allow_minus_one`). */
bool IndexOf(double d, int64_t* out, bool allow_minus_one = false) {
  if (!std::isfinite(d) || d != std::floor(d) || d > 9007199254740991.0) return false;
  if (d < 0 && !(allow_minus_one && d == -1)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

struct Tagged {
  Range range;
  bool output;
};

/** True if an output range overlaps any other range (inputs may alias each other: they are only read). */
bool OutputsOverlap(std::vector<Tagged>* ranges) {
  std::sort(ranges->begin(), ranges->end(), [](const Tagged& x, const Tagged& y) { return x.range.begin < y.range.begin; });
  uint64_t end_any = 0, end_output = 0;
  for (const Tagged& r : *ranges) {
    if (r.range.end == r.range.begin) continue;
    if (r.range.begin < end_output || (r.output && r.range.begin < end_any)) return true;
    end_any = std::max(end_any, r.range.end);
    if (r.output) end_output = std::max(end_output, r.range.end);
  }
  return false;
}

// adamUpdate(heap, table: Float64Array (11 per variable), hyper: Float64Array (8))
// Every range is checked against the heap's current length and no output may overlap any other
// operand before anything is written, so a bad call throws and leaves memory untouched.
napi_value AdamUpdateCall(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Heap heap;
  if (!KernelPrologue(env, info, "adamUpdate", 3, argv, &heap, false)) return nullptr;
  const double* table = nullptr;
  const double* hyper = nullptr;
  size_t table_length = 0, hyper_length = 0;
  if (!GetFloat64s(env, argv[1], &table, &table_length) || table_length % kTableFields != 0) {
    return Throw(env, "adamUpdate: table must be a Float64Array of 11 entries per variable");
  }
  if (!GetFloat64s(env, argv[2], &hyper, &hyper_length) || hyper_length != kHyperFields) {
    return Throw(env, "adamUpdate: hyper must be a Float64Array of 8 entries");
  }

  AdamHyper h;
  h.beta1 = static_cast<float>(hyper[kBeta1]);
  h.one_minus_beta1 = static_cast<float>(hyper[kOneMinusBeta1]);
  h.beta2 = static_cast<float>(hyper[kBeta2]);
  h.one_minus_beta2 = static_cast<float>(hyper[kOneMinusBeta2]);
  h.eps = static_cast<float>(hyper[kEps]);
  h.decay_value = static_cast<float>(hyper[kDecayValue]);
  int64_t mode = 0, scale_offset = 0;
  if (!IndexOf(hyper[kDecayMode], &mode) || mode > 2) return Throw(env, "adamUpdate: decay mode must be 0 (none), 1 (decoupled) or 2 (L2)");
  h.decay = static_cast<AdamDecay>(mode);
  if (!IndexOf(hyper[kScaleOffset], &scale_offset, true)) return Throw(env, "adamUpdate: scale offset must be a byte offset or -1");

  const size_t count = table_length / kTableFields;
  std::vector<AdamTensor> tensors(count);
  std::vector<Tagged> ranges;
  ranges.reserve(count * 7 + 1);
  Range scale_range;
  if (scale_offset >= 0) {
    if (!CheckRange(heap, scale_offset, 1, &scale_range)) {
      return Throw(env, "adamUpdate: the scale lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
    }
    ranges.push_back({scale_range, false});
  }
  for (size_t i = 0; i < count; i++) {
    const double* row = table + i * kTableFields;
    int64_t off[7], size = 0, decay = 0;
    bool ok = IndexOf(row[kSize], &size) && IndexOf(row[kDecay], &decay) && decay <= 1;
    for (int f = kParam; ok && f <= kOutV; f++) ok = IndexOf(row[f], &off[f], f == kM || f == kV);
    if (!ok) return Throw(env, "adamUpdate: table offsets and sizes must be non-negative integers (m, v: -1 for none), decay 0 or 1");
    Range r[7];
    for (int f = kParam; f <= kOutV; f++) {
      if (off[f] < 0) continue;
      if (!CheckRange(heap, off[f], size, &r[f])) {
        return Throw(env, "adamUpdate: an operand lies outside the heap (stale or detached buffer?) or is not 4-byte aligned");
      }
      ranges.push_back({r[f], f >= kOutParam});
    }
    AdamTensor& t = tensors[i];
    const auto at = [&](int f) { return off[f] < 0 ? nullptr : reinterpret_cast<float*>(heap.data + off[f]); };
    t.param = at(kParam);
    t.grad = at(kGrad);
    t.m = at(kM);
    t.v = at(kV);
    t.out_param = at(kOutParam);
    t.out_m = at(kOutM);
    t.out_v = at(kOutV);
    t.size = size;
    t.step_size = static_cast<float>(row[kStepSize]);
    t.bias2_sqrt = static_cast<float>(row[kBias2Sqrt]);
    t.decay = decay == 1;
  }
  if (OutputsOverlap(&ranges)) return Throw(env, "adamUpdate: an output overlaps another operand");
  h.has_scale = scale_offset >= 0;
  h.scale = 1.0f;
  if (h.has_scale) std::memcpy(&h.scale, heap.data + scale_offset, sizeof(float));
  for (const AdamTensor& t : tensors) AdamUpdate(h, t);
  return nullptr;
}

}  // namespace

void RegisterAdamW(napi_env env, napi_value exports) { Export(env, exports, "adamUpdate", AdamUpdateCall); }

}  // namespace floe
