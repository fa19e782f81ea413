// The two x86 instructions the few-row kernels need and Swift's SIMD types do not reach:
// F16C's f16 -> f32 conversion (Swift's SIMD8<Float>(SIMD8<Float16>) compiles to a call into an
// unspecialized generic, which made reading f16 weights slower than reading twice the bytes of
// f32 ones) and a software prefetch (the hardware's stops at every 4 KB page, which a product
// that streams 150 MB of weights with little work per byte crosses every few hundred cycles).
#ifndef CINTRINSICS_H
#define CINTRINSICS_H

#include <stdint.h>

#include "AttentionKernels.h"
#include "PanelKernels.h"
#include <string.h>

typedef float vs_float8 __attribute__((ext_vector_type(8)));

#if defined(__F16C__)
#include <immintrin.h>
static inline vs_float8 vs_load_half8(const void *p) {
    return (vs_float8)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
#else
// Portable form: exact for every finite binary16 (normal or subnormal); weights hold no inf or NaN.
static inline vs_float8 vs_load_half8(const void *p) {
    uint16_t h[8];
    memcpy(h, p, sizeof h);
    vs_float8 out;
    for (int i = 0; i < 8; i++) {
        uint32_t magnitude = (uint32_t)(h[i] & 0x7fff) << 13, sign = (uint32_t)(h[i] & 0x8000) << 16;
        float f;
        memcpy(&f, &magnitude, 4);
        f *= 0x1p112f;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        bits |= sign;
        memcpy(&f, &bits, 4);
        out[i] = f;
    }
    return out;
}
#endif

/// Asks for the cache line at p ahead of its use (a hint: never faults, whatever p is).
static inline void vs_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
