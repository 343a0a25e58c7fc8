// Fused gelu_norm kernels (compute side; the N-API entry points are in napi_gelu_norm.cc).
#include "kernels.h"

namespace floe {}  // namespace floe
