// The filter gradient of a 2-D convolution (compute side; the N-API entry point is in
// napi_conv_filter_grad.cc, which validates every range first).
#pragma once
#include <cstdint>

#include "conv_taps.h"

namespace floe {

/**
 * dw[fh, fw, ci, co] = Σ x[b, oh·stride_h + fh·dilation_h − pad_top, ow·stride_w + fw·dilation_w − pad_left, ci] · dy[b, oh, ow, co]
 * (taps in the padding read 0). Each group of consecutive taps is one GEMM: the rows of x those
 * taps read are gathered (block copies) into per-thread scratch [batch·out_h·out_w, taps·in_c],
 * and dw's rows of those taps = scratchᵀ · dy. A tap whose gather exceeds 8 MiB runs in chunks
 * of output rows, added up, so the scratch stays bounded. Returns false (dw untouched) when the
 * scratch cannot be allocated. Requires ActiveIsa() != kNone.
 */
bool ConvFilterGrad(const float* x, const float* dy, float* dw, const ConvShape& s);

/** Floats of per-thread scratch the gather keeps for the process lifetime (0 before the first call). */
int64_t ConvFilterGradScratchFloats();

}  // namespace floe
