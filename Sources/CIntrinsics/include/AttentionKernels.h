// The two products of one attention head with 64 dimensions (CLIP's, in both towers), for the
// short sequences of a frame or a query: BLAS spends most of such a product packing its
// operands (16% of a bf16 segment went to 96 of them per layer).
#ifndef VS_ATTENTION_KERNELS_H
#define VS_ATTENTION_KERNELS_H

#include <stdint.h>

/// scores[i * n + j] = scale * sum_d q[i * q_stride + d] * k[j * k_stride + d], d < 64, for
/// i < m, j < n. `scratch` holds 64 * ((n + 7) / 8 * 8) floats (k transposed).
void vs_attention_scores64(const float *q, int64_t q_stride, int64_t m, const float *k, int64_t k_stride, int64_t n,
                           float scale, float *scores, float *scratch);

/// out[i * out_stride + d] = sum_j p[i * n + j] * v[j * v_stride + d], d < 64, for i < m, j < n.
void vs_attention_values64(const float *p, int64_t m, int64_t n, const float *v, int64_t v_stride,
                           float *out, int64_t out_stride);

#endif
