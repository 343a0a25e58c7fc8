// Leading-axis sum (bias and norm-gain gradients: [rows, cols] -> [cols]). Memory-bound, so a
// plain loop the compiler vectorises is enough; four rows per pass halve the traffic on `out`.
#include <cstring>

#include "kernels.h"

namespace floe {

void SumRows(const float* __restrict x, float* __restrict out, int64_t rows, int64_t cols) {
  std::memset(out, 0, sizeof(float) * cols);
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* x0 = x + r * cols;
    const float* x1 = x0 + cols;
    const float* x2 = x1 + cols;
    const float* x3 = x2 + cols;
    for (int64_t c = 0; c < cols; c++) out[c] += (x0[c] + x1[c]) + (x2[c] + x3[c]);
  }
  for (; r < rows; r++) {
    const float* row = x + r * cols;
    for (int64_t c = 0; c < cols; c++) out[c] += row[c];
  }
}

void SumSlots(const float* __restrict in, int64_t stride, int64_t count, int64_t n, float* __restrict out) {
  // Blocks of 4 Ki floats: the partial sums stay in L1 between slots.
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t len = n - b < kBlock ? n - b : kBlock;
    float* o = out + b;
    const float* s0 = in + b;
    if (count == 1) {
      std::memcpy(o, s0, sizeof(float) * len);
      continue;
    }
    const float* s1 = s0 + stride;
    for (int64_t i = 0; i < len; i++) o[i] = s0[i] + s1[i];
    for (int64_t r = 2; r < count; r++) {
      const float* sr = s0 + r * stride;
      for (int64_t i = 0; i < len; i++) o[i] += sr[i];
    }
  }
}

}  // namespace floe
