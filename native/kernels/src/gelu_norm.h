// Fused GELU/SiLU and LayerNorm/RMSNorm kernels, forward and backward (gelu_norm.cc). Plain
// functions over raw float pointers; napi_gelu_norm.cc validates every range before calling.
// All of them require ActiveIsa() != kNone (they use AVX-512 or AVX2+FMA).
#pragma once
#include <cstdint>

namespace floe {

/**
 * Activations of the form y = x·σ(x·(a + b·x²)):
 * GELU, tanh approximation (a = 2·√(2/π), b = 0.044715·a; tanh(z) = 2σ(2z) − 1), or SiLU (a = 1, b = 0).
 */
enum class GateKind { kGeluTanh = 0, kSilu = 1 };

/** y[i] = act(x[i]) for i < count. */
void GateForward(GateKind kind, const float* x, float* y, int64_t count);

/** dx[i] = dy[i] · act'(x[i]) for i < count; σ is recomputed from x, so the forward saves nothing. */
void GateBackward(GateKind kind, const float* dy, const float* x, float* dx, int64_t count);

/** One normalisation over the last axis of a row-major [rows, cols] block. */
struct NormShape {
  int64_t rows, cols;
  /** true: LayerNorm (subtract the row mean); false: RMSNorm (mean is taken as 0). */
  bool centre;
};

/**
 * y = xhat·w (+ b), xhat = (x − mean)·rstd, rstd = 1/sqrt(mean((x − mean)²) + eps). Writes the
 * per-row mean (0 for RMSNorm) and rstd for the backward. `b` may be null.
 */
void NormForward(const NormShape& s, const float* x, const float* w, const float* b, float eps, float* y, float* mean, float* rstd);

/**
 * dx = rstd·(g − mean(g) − xhat·mean(g·xhat)) with g = dy·w (RMSNorm drops mean(g)),
 * dw = Σ_rows dy·xhat, db = Σ_rows dy (`db` may be null). The row sums run in a fixed order
 * (blocks of rows, then across blocks), so results are deterministic.
 */
void NormBackward(const NormShape& s, const float* dy, const float* x, const float* w, const float* mean, const float* rstd, float* dx, float* dw,
                  float* db);

}  // namespace floe
