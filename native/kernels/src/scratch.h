// Per-thread scratch memory for the kernels (GEMM packing, attention score planes).
#pragma once
#include <cstddef>
#include <cstdlib>

namespace floe {

/** A growable 64-byte-aligned scratch buffer (one per thread, kept for the process lifetime). */
struct Scratch {
  float* data = nullptr;
  size_t size = 0;
  float* Get(size_t count) {
    if (count > size) {
      std::free(data);
      size_t bytes = ((count * sizeof(float)) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      size = data == nullptr ? 0 : count;
    }
    return data;
  }
};

}  // namespace floe
