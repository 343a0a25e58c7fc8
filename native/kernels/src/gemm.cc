// Packed (BLIS-style) single-precision GEMM with AVX-512 and AVX2+FMA micro-kernels, chosen at
// run time. Each micro-kernel carries its own `target` attribute, so this file builds with the
// compiler's default flags on any x86-64 compiler; other architectures get Isa::kNone.
//
// Loop nest (row-major C): for each NC-wide column panel of B, for each KC-deep slice, pack
// op(B)[KC, NC] into NR-wide slivers; for each MC-tall row panel of A, pack op(A)[MC, KC] into
// MR-tall slivers; then run the MR x NR micro-kernel over the panel. Packing reads either
// layout (transposed or not), so no operand is ever transposed explicitly. Operands may sit at
// any 4-byte-aligned address: the kernels use unaligned loads and stores on A, B and C.
#include "kernels.h"
#include "scratch.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define FLOE_X86 1
#include <immintrin.h>
#endif

namespace floe {
namespace {

#ifndef FLOE_KC
#define FLOE_KC 256
#endif
#ifndef FLOE_MC
#define FLOE_MC 192
#endif
#ifndef FLOE_NC
#define FLOE_NC 3072
#endif
constexpr int64_t kKc = FLOE_KC;  // depth of one packed slice
constexpr int64_t kMc = FLOE_MC;  // rows of A packed at a time (a multiple of both MRs: 24)
constexpr int64_t kNc = FLOE_NC;  // columns of B packed at a time (a multiple of both NRs: 32)

Isa g_active = Isa::kNone;
bool g_detected = false;

thread_local Scratch t_pack_a;
thread_local Scratch t_pack_b;

/** The problem with its leading dimensions resolved (0 means dense). */
GemmProblem Resolved(GemmProblem g) {
  if (g.lda == 0) g.lda = g.trans_a ? g.m : g.k;
  if (g.ldb == 0) g.ldb = g.trans_b ? g.k : g.n;
  if (g.ldc == 0) g.ldc = g.n;
  return g;
}

#ifdef FLOE_X86
/**
 * Interleaves 8 rows of `len` floats (`ld` apart): out[p * out_stride + r] = src[r * ld + p].
 * Packing a row-major operand into slivers is this transpose; done 8×8 in AVX registers it runs
 * several times faster than the scalar loop, whose strided stores cost as much as the small
 * products they feed (the attention's 128×128×32 GEMMs spent ~45% of their time packing).
 */
__attribute__((target("avx2"))) void PackRows8(const float* src, int64_t ld, int64_t len, float* out, int64_t out_stride) {
  int64_t p = 0;
  for (; p + 8 <= len; p += 8) {
    const float* s = src + p;
    const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ld), r2 = _mm256_loadu_ps(s + 2 * ld), r3 = _mm256_loadu_ps(s + 3 * ld);
    const __m256 r4 = _mm256_loadu_ps(s + 4 * ld), r5 = _mm256_loadu_ps(s + 5 * ld), r6 = _mm256_loadu_ps(s + 6 * ld), r7 = _mm256_loadu_ps(s + 7 * ld);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    float* d = out + p * out_stride;
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + out_stride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * out_stride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * out_stride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 4 * out_stride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 5 * out_stride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 6 * out_stride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 7 * out_stride, _mm256_permute2f128_ps(u3, u7, 0x31));
  }
  for (; p < len; p++) {
    for (int64_t r = 0; r < 8; r++) out[p * out_stride + r] = src[r * ld + p];
  }
}
#endif

/** Packs op(A)[i0 : i0+mc, p0 : p0+kc] into MR-tall slivers, zero-padded: out[s][p][i]. */
template <int MR>
void PackA(const GemmProblem& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t mr = std::min<int64_t>(MR, mc - ir);
    if (g.trans_a) {
      // A is [k, m]: row p of the stored matrix holds op(A)(·, p) contiguously.
      for (int64_t p = 0; p < kc; p++) {
        const float* src = g.a + (p0 + p) * g.lda + i0 + ir;
        float* dst = out + p * MR;
        if (mr == MR) {
          std::memcpy(dst, src, sizeof(float) * MR);
          continue;
        }
        int64_t i = 0;
        for (; i < mr; i++) dst[i] = src[i];
        for (; i < MR; i++) dst[i] = 0.f;
      }
    } else {
#ifdef FLOE_X86
      if (MR % 8 == 0 && mr == MR) {
        for (int64_t i = 0; i < MR; i += 8) PackRows8(g.a + (i0 + ir + i) * g.lda + p0, g.lda, kc, out + i, MR);
        out += MR * kc;
        continue;
      }
#endif
      for (int64_t i = 0; i < mr; i++) {
        const float* src = g.a + (i0 + ir + i) * g.lda + p0;
        for (int64_t p = 0; p < kc; p++) out[p * MR + i] = src[p];
      }
      for (int64_t i = mr; i < MR; i++) {
        for (int64_t p = 0; p < kc; p++) out[p * MR + i] = 0.f;
      }
    }
    out += MR * kc;
  }
}

/** Packs op(B)[p0 : p0+kc, j0 : j0+nc] into NR-wide slivers, zero-padded: out[s][p][j]. */
template <int NR>
void PackB(const GemmProblem& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t nr = std::min<int64_t>(NR, nc - jr);
    if (!g.trans_b) {
      // B is [k, n]: op(B)(p, ·) is contiguous.
      for (int64_t p = 0; p < kc; p++) {
        const float* src = g.b + (p0 + p) * g.ldb + j0 + jr;
        float* dst = out + p * NR;
        if (nr == NR) {
          std::memcpy(dst, src, sizeof(float) * NR);
        } else {
          int64_t j = 0;
          for (; j < nr; j++) dst[j] = src[j];
          for (; j < NR; j++) dst[j] = 0.f;
        }
      }
    } else {
      // B is [n, k]: op(B)(·, j) is row j of the stored matrix.
#ifdef FLOE_X86
      if (NR % 8 == 0 && nr == NR) {
        for (int64_t j = 0; j < NR; j += 8) PackRows8(g.b + (j0 + jr + j) * g.ldb + p0, g.ldb, kc, out + j, NR);
        out += NR * kc;
        continue;
      }
#endif
      for (int64_t j = 0; j < nr; j++) {
        const float* src = g.b + (j0 + jr + j) * g.ldb + p0;
        for (int64_t p = 0; p < kc; p++) out[p * NR + j] = src[p];
      }
      for (int64_t j = nr; j < NR; j++) {
        for (int64_t p = 0; p < kc; p++) out[p * NR + j] = 0.f;
      }
    }
    out += NR * kc;
  }
}

/** Scales by alpha, adds the bias and applies the activation to an mr x nr tile of C (after its last slice). */
void Epilogue(const GemmProblem& g, float* c, int64_t ldc, int64_t mr, int64_t nr, int64_t j0) {
  if (g.alpha == 1.0f && g.bias == nullptr && g.activation == Activation::kLinear) return;
  for (int64_t i = 0; i < mr; i++) {
    float* row = c + i * ldc;
    if (g.alpha != 1.0f) {
      for (int64_t j = 0; j < nr; j++) row[j] *= g.alpha;
    }
    if (g.bias != nullptr) {
      const float* bias = g.bias + j0;
      for (int64_t j = 0; j < nr; j++) row[j] += bias[j];
    }
    if (g.activation == Activation::kRelu) {
      for (int64_t j = 0; j < nr; j++) row[j] = row[j] > 0.f ? row[j] : 0.f;
    } else if (g.activation == Activation::kRelu6) {
      for (int64_t j = 0; j < nr; j++) row[j] = std::min(std::max(row[j], 0.f), 6.f);
    }
  }
}

/**
 * A region of a stored operand, walked one cache line at a time: `rows` rows of `len` floats,
 * `ld` apart. GemmBlocked prefetches the block it will pack next while the micro-kernels run
 * over the current one: the packing loops read short row segments (a few cache lines each), too
 * short for the hardware streamer to run ahead, so without this each packed block waits on
 * memory, and more so when another core loads the memory system. Measured on the PERF.md
 * machine: dX [2048,512]·[128,512]ᵀ beside a second copy of itself at 155 GFLOP/s instead of
 * 135; the reference GPT's step 3.5% faster with tfjs's backward pass, within the noise with
 * Floe's frugal one (a smaller working set, more of it in cache).
 */
struct PrefetchRegion {
  const float* base = nullptr;
  int64_t rows = 0, len = 0, ld = 0;
  int64_t row = 0, offset = 0;  // cursor: next row, next float within it

  /** Lines the region spans (an upper bound: each row may straddle one more). */
  int64_t Lines() const { return rows * ((len * 4 + 63) / 64 + 1); }

  /** Issues up to `count` prefetches toward L2, continuing where the last call stopped. */
  void Step(int64_t count) {
#ifdef FLOE_X86
    for (; count > 0 && row < rows; count--) {
      const float* p = base + row * ld + offset;
      _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T1);
      // Next line start: the float after the end of this line.
      offset += 16 - (reinterpret_cast<uintptr_t>(p) & 63) / 4;
      if (offset >= len) {
        row++;
        offset = 0;
      }
    }
#else
    (void)count;
#endif
  }
};

/**
 * The stored region of op(M)[r0 : r0+rows, c0 : c0+cols] for an operand M stored with leading
 * dimension `ld`, transposed (op(M) = Mᵀ) or not.
 */
PrefetchRegion StoredRegion(const float* m, int64_t ld, bool trans, int64_t r0, int64_t rows, int64_t c0, int64_t cols) {
  PrefetchRegion r;
  if (trans) {
    r.base = m + c0 * ld + r0, r.rows = cols, r.len = rows;
  } else {
    r.base = m + r0 * ld + c0, r.rows = rows, r.len = cols;
  }
  r.ld = ld;
  return r;
}

#ifdef FLOE_X86

// The micro-kernels name every accumulator (no arrays): GCC keeps an accumulator array in
// memory and stores it on every iteration, which costs ~3x.
#define FLOE_ROWS8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define FLOE_ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)

/** AVX-512 micro-kernel, 8 x 32: C[8, 32] (+)= Ap[kc][8] · Bp[kc][32]. */
__attribute__((target("avx512f,fma"))) void Kernel8x32Avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                                                bool accumulate) {
#define FLOE_DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
  FLOE_ROWS8(FLOE_DECL)
#undef FLOE_DECL
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#define FLOE_FMA(i)                               \
  {                                               \
    const __m512 ai = _mm512_set1_ps(a[i]);       \
    c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);   \
    c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);   \
  }
    FLOE_ROWS8(FLOE_FMA)
#undef FLOE_FMA
    a += 8;
    b += 32;
  }
#define FLOE_STORE(i)                                                       \
  {                                                                         \
    float* row = c + (i) * ldc;                                             \
    if (accumulate) {                                                       \
      c##i##0 = _mm512_add_ps(c##i##0, _mm512_loadu_ps(row));               \
      c##i##1 = _mm512_add_ps(c##i##1, _mm512_loadu_ps(row + 16));          \
    }                                                                       \
    _mm512_storeu_ps(row, c##i##0);                                         \
    _mm512_storeu_ps(row + 16, c##i##1);                                    \
  }
  FLOE_ROWS8(FLOE_STORE)
#undef FLOE_STORE
}

/** AVX2+FMA micro-kernel, 6 x 16: C[6, 16] (+)= Ap[kc][6] · Bp[kc][16]. */
__attribute__((target("avx2,fma"))) void Kernel6x16Avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                                         bool accumulate) {
#define FLOE_DECL(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
  FLOE_ROWS6(FLOE_DECL)
#undef FLOE_DECL
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#define FLOE_FMA(i)                               \
  {                                               \
    const __m256 ai = _mm256_broadcast_ss(a + i); \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);   \
    c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);   \
  }
    FLOE_ROWS6(FLOE_FMA)
#undef FLOE_FMA
    a += 6;
    b += 16;
  }
#define FLOE_STORE(i)                                                       \
  {                                                                         \
    float* row = c + (i) * ldc;                                             \
    if (accumulate) {                                                       \
      c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(row));               \
      c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(row + 8));           \
    }                                                                       \
    _mm256_storeu_ps(row, c##i##0);                                         \
    _mm256_storeu_ps(row + 8, c##i##1);                                     \
  }
  FLOE_ROWS6(FLOE_STORE)
#undef FLOE_STORE
}

using MicroKernel = void (*)(int64_t, const float*, const float*, float*, int64_t, bool);

/** The blocked loop nest around an MR x NR micro-kernel. */
template <int MR, int NR>
void GemmBlocked(const GemmProblem& g, MicroKernel kernel) {
  const int64_t m = g.m, n = g.n, k = g.k;
  const int64_t ldc = g.ldc;
  const int64_t nc_max = std::min<int64_t>(kNc, (n + NR - 1) / NR * NR);
  const int64_t kc_max = std::min<int64_t>(kKc, k);
  const int64_t mc_max = std::min<int64_t>(kMc, (m + MR - 1) / MR * MR);
  float* pack_b = t_pack_b.Get(static_cast<size_t>(kc_max * nc_max));
  float* pack_a = t_pack_a.Get(static_cast<size_t>(kc_max * mc_max));
  alignas(64) float tile[MR * NR];
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKc) {
      const int64_t kc = std::min(kKc, k - pc);
      const bool accumulate = pc > 0;
      const bool last = pc + kc == k;
      PackB<NR>(g, pc, kc, jc, nc, pack_b);
      for (int64_t ic = 0; ic < m; ic += kMc) {
        const int64_t mc = std::min(kMc, m - ic);
        PackA<MR>(g, ic, mc, pc, kc, pack_a);
        // What gets packed next: the next A block, else the next B slice (then its first A block).
        PrefetchRegion next;
        if (ic + kMc < m) {
          next = StoredRegion(g.a, g.lda, g.trans_a, ic + kMc, std::min(kMc, m - ic - kMc), pc, kc);
        } else if (pc + kKc < k) {
          next = StoredRegion(g.b, g.ldb, g.trans_b, pc + kKc, std::min(kKc, k - pc - kKc), jc, nc);
        } else if (jc + kNc < n) {
          next = StoredRegion(g.b, g.ldb, g.trans_b, 0, kc_max, jc + kNc, std::min(kNc, n - jc - kNc));
        }
        const int64_t tiles = ((nc + NR - 1) / NR) * ((mc + MR - 1) / MR);
        const int64_t per_tile = (next.Lines() + tiles - 1) / tiles;
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min<int64_t>(NR, nc - jr);
          const float* bp = pack_b + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, mc - ir);
            const float* ap = pack_a + ir * kc;
            float* c = g.c + (ic + ir) * ldc + jc + jr;
            if (mr == MR && nr == NR) {
              kernel(kc, ap, bp, c, ldc, accumulate);
            } else {
              // Edge tile: compute the full tile aside, then touch only the valid part of C.
              kernel(kc, ap, bp, tile, NR, false);
              for (int64_t i = 0; i < mr; i++) {
                float* row = c + i * ldc;
                const float* src = tile + i * NR;
                if (accumulate) {
                  for (int64_t j = 0; j < nr; j++) row[j] += src[j];
                } else {
                  for (int64_t j = 0; j < nr; j++) row[j] = src[j];
                }
              }
            }
            if (last) Epilogue(g, c, ldc, mr, nr, jc + jr);
            next.Step(per_tile);
          }
        }
      }
    }
  }
}

#endif  // FLOE_X86

}  // namespace

Isa DetectIsa() {
#ifdef FLOE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#endif
  return Isa::kNone;
}

Isa ActiveIsa() {
  if (!g_detected) {
    g_active = DetectIsa();
    g_detected = true;
  }
  return g_active;
}

bool SetIsa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(DetectIsa())) return false;
  g_active = isa;
  g_detected = true;
  return true;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx2:
      return "avx2";
    default:
      return "none";
  }
}

void Gemm(const GemmProblem& problem) {
  const GemmProblem g = Resolved(problem);
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) {
    for (int64_t i = 0; i < g.m; i++) std::memset(g.c + i * g.ldc, 0, sizeof(float) * g.n);
    Epilogue(g, g.c, g.ldc, g.m, g.n, 0);
    return;
  }
#ifdef FLOE_X86
  switch (ActiveIsa()) {
    case Isa::kAvx512:
      GemmBlocked<8, 32>(g, Kernel8x32Avx512);
      return;
    case Isa::kAvx2:
      GemmBlocked<6, 16>(g, Kernel6x16Avx2);
      return;
    default:
      break;
  }
#endif
  std::abort();  // callers check ActiveIsa() first
}

}  // namespace floe
