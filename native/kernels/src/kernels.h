// Floe native CPU kernels: plain functions over raw float pointers. The N-API layer
// (floe_kernels.cc) validates every offset against the heap before calling them.
#pragma once
#include <cstdint>

namespace floe {

enum class Isa { kNone = 0, kAvx2 = 1, kAvx512 = 2 };

/** Best instruction set this CPU (and OS) supports for the GEMM micro-kernels. */
Isa DetectIsa();
/** The instruction set the kernels use now (DetectIsa() unless forced lower). */
Isa ActiveIsa();
/** Forces a lower instruction set (for tests); returns false if the CPU lacks it. */
bool SetIsa(Isa isa);
const char* IsaName(Isa isa);

enum class Activation { kLinear = 0, kRelu = 1, kRelu6 = 2 };

/**
 * One row-major GEMM problem: C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] (+ bias[n]) then
 * activation. Leading dimensions (floats between stored rows) default to the dense ones (0):
 * A stored [m, k] (lda k) or, transposed, [k, m] (lda m); B [k, n] or [n, k]; C ldc n. Larger
 * ones address a block of a wider matrix, e.g. one head's columns of a fused QKV projection.
 */
struct GemmProblem {
  const float* a;
  const float* b;
  float* c;
  const float* bias;  // n values or nullptr
  int64_t m, n, k;
  bool trans_a, trans_b;
  Activation activation;
  int64_t lda = 0, ldb = 0, ldc = 0;
  float alpha = 1.0f;
};

/** Runs `p`; requires ActiveIsa() != kNone. */
void Gemm(const GemmProblem& p);

/** out[c] = sum over r of x[r * cols + c]. */
void SumRows(const float* x, float* out, int64_t rows, int64_t cols);
// out[i] = in[i] + in[stride + i] + ... + in[(count - 1)·stride + i] for i < n: float32 adds in
// slot order (the data-parallel all-reduce's sum; see SumSlotsCall).
void SumSlots(const float* in, int64_t stride, int64_t count, int64_t n, float* out);

}  // namespace floe
