// One fixed-shape oneDNN product (dst = src * weights), for measuring oneDNN's peak and testing it.
#ifndef VIDSEARCH_DNNL_MATMUL_H
#define VIDSEARCH_DNNL_MATMUL_H

#include <stddef.h>
#include <stdint.h>

typedef struct vs_dnnl_matmul vs_dnnl_matmul;

/// dst[M x N] = src[M x K] * weights[K x N] (row-major f32). With bf16 != 0 the weights are
/// held in bf16 and each src is converted to bf16 before the product (accumulation and dst in
/// f32). NULL on failure, with the reason in `error`.
vs_dnnl_matmul *vs_dnnl_matmul_create(int64_t m, int64_t k, int64_t n, const float *weights, int bf16,
                                      char *error, size_t error_size);
/// 0 on success; otherwise a dnnl_status_t.
int vs_dnnl_matmul_run(vs_dnnl_matmul *matmul, const float *src, float *dst);
void vs_dnnl_matmul_destroy(vs_dnnl_matmul *matmul);
/// The implementation oneDNN chose for this product ("brg:avx512_core_bf16", "gemm:jit", ...).
const char *vs_dnnl_matmul_implementation(const vs_dnnl_matmul *matmul);

#endif
