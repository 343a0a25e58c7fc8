// The forward 2-D convolution (compute side; the N-API entry point is in napi_conv_forward.cc,
// which validates every range first).
#pragma once
#include <cstdint>

#include "conv_taps.h"
#include "kernels.h"

namespace floe {

/**
 * y[b, oh, ow, co] = act(Σ x[b, oh·stride_h + fh·dilation_h − pad_top, ow·stride_w + fw·dilation_w − pad_left, ci] · w[fh, fw, ci, co] + bias[co])
 * (taps in the padding read 0). One GEMM per chunk of output rows: every tap's input pixels are
 * gathered (block copies) into per-thread scratch [chunk·out_w, taps·in_c], times w read in place
 * as [taps·in_c, out_c], with bias and activation in the GEMM's epilogue. Chunks are sized to the
 * gradients' 8 MiB, but at least one output row (out_w·taps·in_c floats). bias may be nullptr.
 * Returns false (y untouched) when the scratch cannot be allocated. Requires ActiveIsa() != kNone.
 */
bool ConvForward(const float* x, const float* w, const float* bias, Activation activation, float* y, const ConvShape& s);

/** Floats of per-thread scratch the forward keeps for the process lifetime (0 before the first call). */
int64_t ConvForwardScratchFloats();

}  // namespace floe
