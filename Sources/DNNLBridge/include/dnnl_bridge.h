// oneDNN (Debian: libdnnl-dev 2.6) matrix products behind a narrow C surface: nn.Linear's
// weights reordered once into the layout oneDNN picks (format_tag::any), a primitive per row
// count. The fixed-shape product the benchmarks measure with is DNNLMatmul's.
#ifndef VIDSEARCH_DNNL_BRIDGE_H
#define VIDSEARCH_DNNL_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

/// nn.Linear's weight W [n x k] (row-major, f32) held once in oneDNN's layout, in f32 or bf16,
/// shared by the products of every row count (the layout oneDNN picks does not depend on it;
/// where it would, that product keeps its own copy).
typedef struct vs_dnnl_linear vs_dnnl_linear;
/// `weight` is read once (reordered into oneDNN's layout); the caller may free it after this returns.
vs_dnnl_linear *vs_dnnl_linear_create(int64_t k, int64_t n, const float *weight, int bf16, char *error, size_t error_size);
/// out[rows x n] += in[rows x k] W^T (out holds the bias, or what to add to, or zeros). 0 on success.
/// Safe to call from several threads at once (each with its own in and out).
int vs_dnnl_linear_apply(vs_dnnl_linear *linear, int64_t rows, const float *in, float *out);
/// W written back in nn.Linear's layout from oneDNN's copy (rounded to bf16 when the copy is bf16).
int vs_dnnl_linear_unpack(vs_dnnl_linear *linear, float *weight);
void vs_dnnl_linear_destroy(vs_dnnl_linear *linear);

/// The process's oneDNN engine and the calling thread's stream, with this thread's settings
/// applied (for DNNLMatmul's products); 0 when oneDNN has no CPU engine.
struct dnnl_engine;
struct dnnl_stream;
int vs_dnnl_thread_context(struct dnnl_engine **engine, struct dnnl_stream **stream);

/// oneDNN's threads for each thread that calls it from now on (0: OpenMP's default).
void vs_dnnl_set_threads(int threads);
/// The RunSettings applied on the calling thread (Sources/Tensor/RunSettings.swift), as plain
/// thread-locals so that reading them in the model's loops costs no more than a load: the core
/// budget (0: none applied; oneDNN then follows the process's) and the engine (0: none).
extern __thread int vs_settings_cores;
extern __thread int vs_settings_engine;
static inline int vs_settings_cores_here(void) { return vs_settings_cores; }
static inline int vs_settings_engine_here(void) { return vs_settings_engine; }
static inline void vs_settings_set_here(int cores, int engine) { vs_settings_cores = cores; vs_settings_engine = engine; }

/// What oneDNN runs on this CPU: 1 when it has bf16 instructions (AVX512_BF16 or AMX).
int vs_dnnl_has_bf16(void);
/// 1 when oneDNN dispatches to AVX-512 (avx512_core or above).
int vs_dnnl_has_avx512(void);
/// The ISA oneDNN dispatches to, as a short name.
const char *vs_dnnl_isa(void);

#endif
