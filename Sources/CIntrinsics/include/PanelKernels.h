// PanelProduct's inner tile in AVX-512, for CPUs that have it (chosen at run time): a panel's
// 16 output features are one 512-bit vector, so up to 8 input rows take one fused multiply-add
// each per input feature, half the instructions of the two 8-lane vectors the AVX2 tile needs.
// Each lane sums in the same order as the AVX2 tile: the results are the same.
#ifndef VS_PANEL_KERNELS_H
#define VS_PANEL_KERNELS_H

#include <stdint.h>

/// 1 when this CPU runs AVX-512F.
int vs_cpu_has_avx512f(void);

/// y[r * n + c] (+)= sum_{i < count} x[r * k + i] * w[i * 16 + c] for r < rows (1...8) and
/// c < columns (16, or fewer in the last panel); w is f32, or f16 when `half`; added to y's
/// values when `load`, written over them otherwise. `ahead`: prefetch distance in bytes.
void vs_panel_tile_avx512(const float *x, int64_t k, const void *w, int half, int64_t count, int rows,
                          float *y, int64_t n, int columns, int load, int64_t ahead);

#endif
