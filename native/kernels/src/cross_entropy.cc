// Fused cross_entropy kernels (compute side; the N-API entry points are in napi_cross_entropy.cc).
#include "kernels.h"

namespace floe {}  // namespace floe
