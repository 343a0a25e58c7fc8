// Fused adamw kernels (compute side; the N-API entry points are in napi_adamw.cc).
#include "kernels.h"

namespace floe {}  // namespace floe
