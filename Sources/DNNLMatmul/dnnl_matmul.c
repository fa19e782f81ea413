// One fixed-shape oneDNN product, for measuring: `vidsearch bench model` reads oneDNN's peak
// on this CPU with it, and SystemLibraryTests check oneDNN against a plain product. The model's
// layers use the bridge's vs_dnnl_linear instead (shared weights, any row count, many threads).
#include "dnnl_matmul.h"

#include "dnnl_bridge.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>

struct vs_dnnl_matmul {
    dnnl_primitive_t product;
    dnnl_primitive_t convert;  // f32 src -> bf16 src, bf16 only
    dnnl_memory_t src_f32, src, weights, dst;
    void *src_bf16;
    void *weights_data;
    char implementation[64];
};

#define CHECK(call, what)                                                        \
    do {                                                                         \
        dnnl_status_t status_ = (call);                                          \
        if (status_ != dnnl_success) {                                           \
            snprintf(error, error_size, "%s failed (oneDNN status %d)", what, (int)status_); \
            vs_dnnl_matmul_destroy(mm);                                          \
            return NULL;                                                         \
        }                                                                        \
    } while (0)

vs_dnnl_matmul *vs_dnnl_matmul_create(int64_t m, int64_t k, int64_t n, const float *weights, int bf16,
                                      char *error, size_t error_size) {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    if (!vs_dnnl_thread_context(&engine, &stream)) {
        snprintf(error, error_size, "no oneDNN CPU engine");
        return NULL;
    }
    vs_dnnl_matmul *mm = calloc(1, sizeof *mm);
    if (!mm) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    dnnl_data_type_t type = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t src_dims = {m, k}, weights_dims = {k, n}, dst_dims = {m, n};
    dnnl_memory_desc_t src_md, src_f32_md, weights_any_md, weights_plain_md, dst_md;
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 2, src_dims, type, dnnl_ab), "source descriptor");
    CHECK(dnnl_memory_desc_init_by_tag(&src_f32_md, 2, src_dims, dnnl_f32, dnnl_ab), "source descriptor");
    CHECK(dnnl_memory_desc_init_by_tag(&weights_any_md, 2, weights_dims, type, dnnl_format_tag_any), "weights descriptor");
    CHECK(dnnl_memory_desc_init_by_tag(&weights_plain_md, 2, weights_dims, dnnl_f32, dnnl_ab), "weights descriptor");
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_dims, dnnl_f32, dnnl_ab), "destination descriptor");

    dnnl_matmul_desc_t desc;
    CHECK(dnnl_matmul_desc_init(&desc, &src_md, &weights_any_md, NULL, &dst_md), "matmul descriptor");
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL), "matmul primitive descriptor");
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(mm->implementation, sizeof mm->implementation, "%s", impl ? impl : "?");
    const dnnl_memory_desc_t *weights_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_status_t made = dnnl_primitive_create(&mm->product, pd);
    dnnl_memory_desc_t chosen = *weights_md;
    dnnl_primitive_desc_destroy(pd);
    CHECK(made, "matmul primitive");

    // The weights, once: plain f32 -> oneDNN's layout (and type).
    dnnl_memory_t plain;
    CHECK(dnnl_memory_create(&plain, &weights_plain_md, engine, (void *)weights), "weights memory");
    CHECK(dnnl_memory_create(&mm->weights, &chosen, engine, DNNL_MEMORY_ALLOCATE), "weights memory");
    dnnl_primitive_desc_t rpd;
    dnnl_status_t r = dnnl_reorder_primitive_desc_create(&rpd, &weights_plain_md, engine, &chosen, engine, NULL);
    if (r == dnnl_success) {
        dnnl_primitive_t reorder;
        r = dnnl_primitive_create(&reorder, rpd);
        dnnl_primitive_desc_destroy(rpd);
        if (r == dnnl_success) {
            dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, mm->weights}};
            r = dnnl_primitive_execute(reorder, stream, 2, args);
            if (r == dnnl_success) r = dnnl_stream_wait(stream);
            dnnl_primitive_destroy(reorder);
        }
    }
    dnnl_memory_destroy(plain);
    CHECK(r, "weights reorder");

    CHECK(dnnl_memory_create(&mm->dst, &dst_md, engine, DNNL_MEMORY_NONE), "destination memory");
    CHECK(dnnl_memory_create(&mm->src_f32, &src_f32_md, engine, DNNL_MEMORY_NONE), "source memory");
    if (bf16) {
        CHECK(dnnl_memory_create(&mm->src, &src_md, engine, DNNL_MEMORY_ALLOCATE), "bf16 source memory");
        dnnl_primitive_desc_t cpd;
        CHECK(dnnl_reorder_primitive_desc_create(&cpd, &src_f32_md, engine, &src_md, engine, NULL), "source conversion");
        dnnl_status_t c = dnnl_primitive_create(&mm->convert, cpd);
        dnnl_primitive_desc_destroy(cpd);
        CHECK(c, "source conversion");
    }
    return mm;
}

int vs_dnnl_matmul_run(vs_dnnl_matmul *mm, const float *src, float *dst) {
    dnnl_status_t s;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    if (!vs_dnnl_thread_context(&engine, &stream)) return (int)dnnl_runtime_error;
    if ((s = dnnl_memory_set_data_handle(mm->src_f32, (void *)src)) != dnnl_success) return (int)s;
    if ((s = dnnl_memory_set_data_handle(mm->dst, dst)) != dnnl_success) return (int)s;
    if (mm->convert) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, mm->src_f32}, {DNNL_ARG_TO, mm->src}};
        if ((s = dnnl_primitive_execute(mm->convert, stream, 2, args)) != dnnl_success) return (int)s;
    }
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, mm->convert ? mm->src : mm->src_f32},
                               {DNNL_ARG_WEIGHTS, mm->weights},
                               {DNNL_ARG_DST, mm->dst}};
    if ((s = dnnl_primitive_execute(mm->product, stream, 3, args)) != dnnl_success) return (int)s;
    return (int)dnnl_stream_wait(stream);
}

void vs_dnnl_matmul_destroy(vs_dnnl_matmul *mm) {
    if (!mm) return;
    if (mm->product) dnnl_primitive_destroy(mm->product);
    if (mm->convert) dnnl_primitive_destroy(mm->convert);
    if (mm->src_f32) dnnl_memory_destroy(mm->src_f32);
    if (mm->src) dnnl_memory_destroy(mm->src);
    if (mm->weights) dnnl_memory_destroy(mm->weights);
    if (mm->dst) dnnl_memory_destroy(mm->dst);
    free(mm);
}

const char *vs_dnnl_matmul_implementation(const vs_dnnl_matmul *mm) { return mm->implementation; }
