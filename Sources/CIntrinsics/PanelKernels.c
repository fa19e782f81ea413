#include "PanelKernels.h"

#include <immintrin.h>

int vs_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

__attribute__((target("avx512f"), always_inline)) static inline __m512 weights16(const void *w, int half, int64_t i) {
    if (half) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)w + i * 16)));
    return _mm512_loadu_ps((const float *)w + i * 16);
}

// R is a constant at every call below, so the loops over rows unroll and acc stays in registers.
__attribute__((target("avx512f"), always_inline)) static inline void tile(const int R, const float *x, int64_t k, const void *w, int half,
                                                                         int64_t count, float *y, int64_t n, int columns, int load,
                                                                         int64_t ahead) {
    __m512 acc[8];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    const int64_t element = half ? 2 : 4;
    for (int64_t i = 0; i < count; i++) {
        __builtin_prefetch((const char *)w + i * 16 * element + ahead, 0, 3);
        __m512 v = weights16(w, half, i);
        for (int r = 0; r < R; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * k + i]), v, acc[r]);
    }
    __mmask16 mask = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    for (int r = 0; r < R; r++) {
        float *out = y + r * n;
        __m512 sum = load ? _mm512_add_ps(acc[r], _mm512_maskz_loadu_ps(mask, out)) : acc[r];
        _mm512_mask_storeu_ps(out, mask, sum);
    }
}

__attribute__((target("avx512f"))) void vs_panel_tile_avx512(const float *x, int64_t k, const void *w, int half, int64_t count, int rows,
                                                            float *y, int64_t n, int columns, int load, int64_t ahead) {
    switch (rows) {
    case 8: tile(8, x, k, w, half, count, y, n, columns, load, ahead); break;
    case 7: tile(7, x, k, w, half, count, y, n, columns, load, ahead); break;
    case 6: tile(6, x, k, w, half, count, y, n, columns, load, ahead); break;
    case 5: tile(5, x, k, w, half, count, y, n, columns, load, ahead); break;
    case 4: tile(4, x, k, w, half, count, y, n, columns, load, ahead); break;
    case 3: tile(3, x, k, w, half, count, y, n, columns, load, ahead); break;
    case 2: tile(2, x, k, w, half, count, y, n, columns, load, ahead); break;
    default: tile(1, x, k, w, half, count, y, n, columns, load, ahead); break;
    }
}
