#include "AttentionKernels.h"

#include <string.h>

typedef float f8 __attribute__((ext_vector_type(8), aligned(4)));  // unaligned loads and stores

static inline f8 load8(const float *p) { return *(const f8 *)p; }
static inline void store8(float *p, f8 x) { *(f8 *)p = x; }
static inline f8 splat8(float x) { return (f8){x, x, x, x, x, x, x, x}; }

void vs_attention_scores64(const float *q, int64_t q_stride, int64_t m, const float *k, int64_t k_stride, int64_t n,
                           float scale, float *scores, float *scratch) {
    // k transposed: kt[d * n8 + j], zero past n, so that a query row meets eight keys per load.
    int64_t n8 = (n + 7) / 8 * 8;
    for (int64_t d = 0; d < 64; d++) {
        float *row = scratch + d * n8;
        for (int64_t j = 0; j < n; j++) row[j] = k[j * k_stride + d];
        for (int64_t j = n; j < n8; j++) row[j] = 0;
    }
    float tail[8];
    for (int64_t i = 0; i < m; i++) {
        const float *qi = q + i * q_stride;
        float *si = scores + i * n;
        int64_t j = 0;
        for (; j + 32 <= n8; j += 32) {  // four vectors of keys at once: four independent sums
            f8 a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int64_t d = 0; d < 64; d++) {
                f8 x = splat8(qi[d]);
                const float *kt = scratch + d * n8 + j;
                a0 += x * load8(kt);
                a1 += x * load8(kt + 8);
                a2 += x * load8(kt + 16);
                a3 += x * load8(kt + 24);
            }
            f8 s = splat8(scale);
            f8 parts[4] = {a0 * s, a1 * s, a2 * s, a3 * s};
            for (int c = 0; c < 4; c++) {
                if (j + 8 * c + 8 <= n) {
                    store8(si + j + 8 * c, parts[c]);
                } else {
                    store8(tail, parts[c]);
                    for (int64_t t = j + 8 * c; t < n; t++) si[t] = tail[t - j - 8 * c];
                }
            }
        }
        for (; j < n8; j += 8) {
            f8 a0 = 0, a1 = 0;  // two sums over alternate dimensions: half the dependency chain
            for (int64_t d = 0; d < 64; d += 2) {
                a0 += splat8(qi[d]) * load8(scratch + d * n8 + j);
                a1 += splat8(qi[d + 1]) * load8(scratch + (d + 1) * n8 + j);
            }
            f8 s = (a0 + a1) * splat8(scale);
            if (j + 8 <= n) {
                store8(si + j, s);
            } else {
                store8(tail, s);
                for (int64_t t = j; t < n; t++) si[t] = tail[t - j];
            }
        }
    }
}

void vs_attention_values64(const float *p, int64_t m, int64_t n, const float *v, int64_t v_stride,
                           float *out, int64_t out_stride) {
    for (int64_t i = 0; i < m; i++) {
        const float *pi = p + i * n;
        f8 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int64_t j = 0; j < n; j++) {
            float w = pi[j];
            if (w == 0) continue;  // masked (causal) keys
            f8 x = splat8(w);
            const float *vj = v + j * v_stride;
            a0 += x * load8(vj);
            a1 += x * load8(vj + 8);
            a2 += x * load8(vj + 16);
            a3 += x * load8(vj + 24);
            a4 += x * load8(vj + 32);
            a5 += x * load8(vj + 40);
            a6 += x * load8(vj + 48);
            a7 += x * load8(vj + 56);
        }
        float *o = out + i * out_stride;
        store8(o, a0); store8(o + 8, a1); store8(o + 16, a2); store8(o + 24, a3);
        store8(o + 32, a4); store8(o + 40, a5); store8(o + 48, a6); store8(o + 56, a7);
    }
}
