// The input gradient of a 2-D convolution (compute side; the N-API entry point is in
// napi_conv_input_grad.cc, which validates every range first).
#pragma once
#include <cstdint>

#include "conv_taps.h"

namespace floe {

/**
 * dx[b, oh·stride_h + fh·dilation_h − pad_top, ow·stride_w + fw·dilation_w − pad_left, ci] +=
 * Σ_co dy[b, oh, ow, co] · w[fh, fw, ci, co], over every tap that lands inside x (taps in the
 * padding are skipped); dx is zeroed first. Each group of consecutive taps is one GEMM,
 * scratch [batch·out_h·out_w, taps·in_c] = dy · w[taps]ᵀ with w read in place, whose column blocks
 * are then added into the input pixels each tap read. A tap whose product exceeds 8 MiB runs in
 * chunks of output rows, so the per-thread scratch stays bounded. Returns false (dx untouched)
 * when the scratch cannot be allocated. Requires ActiveIsa() != kNone.
 */
bool ConvInputGrad(const float* dy, const float* w, float* dx, const ConvShape& s);

/** Floats of per-thread scratch the input gradient keeps for the process lifetime (0 before the first call). */
int64_t ConvInputGradScratchFloats();

}  // namespace floe
