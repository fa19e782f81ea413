#include "dnnl_bridge.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

// One CPU engine for the process (thread-safe), a stream per thread (streams are not).
static dnnl_engine_t engine;
static __thread dnnl_stream_t stream;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

// oneDNN's OpenMP threads per calling thread: the process's thread budget (VIDSEARCH_THREADS or
// every core), not OMP_NUM_THREADS, which a scheduler such as Ray may set to something else.
static volatile int thread_budget;
static __thread int threads_here;  // what this calling thread last told OpenMP
void omp_set_num_threads(int);
int omp_get_max_threads(void);

// A calling thread's own settings (RunSettings): its budget overrides the process's while > 0.
__thread int vs_settings_cores;
__thread int vs_settings_engine;

void vs_dnnl_set_threads(int threads) { thread_budget = threads; }

static void make_engine(void) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

// This thread's buffers (scratchpads, the bf16 copy of a source) and stream, freed when the thread ends:
// the ingest pipeline starts its workers for each run, and a long `watch` must not keep theirs.
typedef struct { void *data; size_t size; } thread_buffer;
typedef struct { thread_buffer scratch, source; dnnl_stream_t stream; } thread_buffers;
static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void free_buffers(void *p) {
    thread_buffers *b = p;
    free(b->scratch.data);
    free(b->source.data);
    if (b->stream) dnnl_stream_destroy(b->stream);
    free(b);
}

static void make_buffers_key(void) { pthread_key_create(&buffers_key, free_buffers); }

static thread_buffers *this_threads_buffers(void) {
    pthread_once(&buffers_once, make_buffers_key);
    thread_buffers *b = pthread_getspecific(buffers_key);
    if (!b && (b = calloc(1, sizeof *b)) && pthread_setspecific(buffers_key, b) != 0) {
        free(b);
        b = NULL;
    }
    return b;
}

static int ready(void) {
    pthread_once(&engine_once, make_engine);
    if (!engine) return 0;
    int budget = vs_settings_cores > 0 ? vs_settings_cores : thread_budget;
    if (budget > 0 && budget != threads_here) {
        omp_set_num_threads(budget);
        threads_here = budget;
    }
    if (!stream) {
        thread_buffers *b = this_threads_buffers();
        if (!b || dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return 0;
        b->stream = stream;
    }
    return 1;
}

int vs_dnnl_thread_context(dnnl_engine_t *engine_out, dnnl_stream_t *stream_out) {
    if (!ready()) return 0;
    *engine_out = engine;
    *stream_out = stream;
    return 1;
}

int vs_dnnl_has_bf16(void) {
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16 ? 1 : 0;
}

int vs_dnnl_has_avx512(void) {
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core ? 1 : 0;
}

const char *vs_dnnl_isa(void) {
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx2: return "avx2";
    default: return "other";
    }
}

// ---- nn.Linear: shared weights, a primitive per row count, dst += src W^T -------------------
//
// Several threads may run the same layer at once (the ingest pipeline's model workers): a shape's
// primitives are only read while executing, their scratchpads are the caller's (user scratchpad
// mode: oneDNN's own is shared and not safe across threads), and the memory objects that carry a
// call's pointers are made per call. The lock only guards the list of shapes.

typedef struct {
    int64_t rows;
    int threads;  // a primitive keeps the thread count it was made for
    int users;    // calls executing it now: it is not dropped while any are
    dnnl_primitive_t product, convert;
    dnnl_memory_desc_t src_f32_md, src_md, dst_md, weights_md;
    size_t product_scratch, convert_scratch, src_bytes;
    dnnl_memory_t weights;  // the shared one, or a private copy
    int private_weights;
} linear_shape;

enum { max_shapes = 16 };

struct vs_dnnl_linear {
    int64_t k, n;
    int bf16;
    dnnl_memory_desc_t weights_md;
    dnnl_memory_t weights;  // in oneDNN's layout for a typical product; the source of other layouts
    linear_shape *shapes[max_shapes];
    int count;
    pthread_mutex_t lock;
};

static dnnl_status_t reorder_into(dnnl_memory_t from, const dnnl_memory_desc_t *from_md, dnnl_memory_t to, const dnnl_memory_desc_t *to_md) {
    dnnl_primitive_desc_t rpd;
    dnnl_status_t r = dnnl_reorder_primitive_desc_create(&rpd, from_md, engine, to_md, engine, NULL);
    if (r != dnnl_success) return r;
    dnnl_primitive_t reorder;
    r = dnnl_primitive_create(&reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
    if (r != dnnl_success) return r;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    r = dnnl_primitive_execute(reorder, stream, 2, args);
    if (r == dnnl_success) r = dnnl_stream_wait(stream);
    dnnl_primitive_destroy(reorder);
    return r;
}

static dnnl_primitive_attr_t user_scratchpad(void) {
    dnnl_primitive_attr_t attr;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
    dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    return attr;
}

// A primitive for `rows` rows; its weights layout in *md and its scratchpad size.
static dnnl_status_t make_product(vs_dnnl_linear *l, int64_t rows, dnnl_primitive_t *product, dnnl_memory_desc_t *md,
                                  size_t *scratch) {
    dnnl_data_type_t type = l->bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t src_dims = {rows, l->k}, weights_dims = {l->k, l->n}, dst_dims = {rows, l->n};
    dnnl_memory_desc_t src_md, weights_md, dst_md;
    dnnl_status_t s;
    if ((s = dnnl_memory_desc_init_by_tag(&src_md, 2, src_dims, type, dnnl_ab)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&weights_md, 2, weights_dims, type, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_dims, dnnl_f32, dnnl_ab)) != dnnl_success) return s;
    dnnl_matmul_desc_t desc;
    if ((s = dnnl_matmul_desc_init(&desc, &src_md, &weights_md, NULL, &dst_md)) != dnnl_success) return s;
    // dst += product: the caller has put the bias (or the residual) there.
    dnnl_post_ops_t ops;
    dnnl_primitive_attr_t attr = user_scratchpad();
    if (!attr) return dnnl_out_of_memory;
    if ((s = dnnl_post_ops_create(&ops)) != dnnl_success) { dnnl_primitive_attr_destroy(attr); return s; }
    dnnl_post_ops_append_sum(ops, 1.0f);
    dnnl_primitive_attr_set_post_ops(attr, ops);
    dnnl_primitive_desc_t pd;
    s = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return s;
    *md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    *scratch = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    s = dnnl_primitive_create(product, pd);
    dnnl_primitive_desc_destroy(pd);
    return s;
}

vs_dnnl_linear *vs_dnnl_linear_create(int64_t k, int64_t n, const float *weight, int bf16, char *error, size_t error_size) {
    if (!ready()) {
        snprintf(error, error_size, "no oneDNN CPU engine");
        return NULL;
    }
    vs_dnnl_linear *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->k = k;
    l->n = n;
    l->bf16 = bf16;
    pthread_mutex_init(&l->lock, NULL);
    // The layout oneDNN picks for a typical product (a vision batch), and the weights in it.
    dnnl_primitive_t probe;
    size_t unused;
    dnnl_status_t s = make_product(l, 512, &probe, &l->weights_md, &unused);
    if (s == dnnl_success) {
        dnnl_primitive_destroy(probe);
        dnnl_dims_t dims = {k, n};
        dnnl_memory_desc_t plain_md;
        dnnl_memory_t plain;
        s = dnnl_memory_desc_init_by_tag(&plain_md, 2, dims, dnnl_f32, dnnl_ba);  // W [n x k] is B [k x n] column-major
        if (s == dnnl_success) s = dnnl_memory_create(&plain, &plain_md, engine, (void *)weight);
        if (s == dnnl_success) {
            s = dnnl_memory_create(&l->weights, &l->weights_md, engine, DNNL_MEMORY_ALLOCATE);
            if (s == dnnl_success) s = reorder_into(plain, &plain_md, l->weights, &l->weights_md);
            dnnl_memory_destroy(plain);
        }
    }
    if (s != dnnl_success) {
        snprintf(error, error_size, "oneDNN %s linear %lldx%lld: status %d", bf16 ? "bf16" : "f32", (long long)k, (long long)n, (int)s);
        vs_dnnl_linear_destroy(l);
        return NULL;
    }
    return l;
}

static void destroy_shape(linear_shape *sh) {
    if (sh->product) dnnl_primitive_destroy(sh->product);
    if (sh->convert) dnnl_primitive_destroy(sh->convert);
    if (sh->private_weights) dnnl_memory_destroy(sh->weights);
    free(sh);
}

static linear_shape *make_shape(vs_dnnl_linear *l, int64_t rows, int threads) {
    linear_shape *sh = calloc(1, sizeof *sh);
    if (!sh) return NULL;
    sh->rows = rows;
    sh->threads = threads;
    if (make_product(l, rows, &sh->product, &sh->weights_md, &sh->product_scratch) != dnnl_success) { destroy_shape(sh); return NULL; }
    if (dnnl_memory_desc_equal(&sh->weights_md, &l->weights_md)) {
        sh->weights = l->weights;
    } else {  // this row count wants another layout: its own copy, a reordering of the shared one
        if (dnnl_memory_create(&sh->weights, &sh->weights_md, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success) { destroy_shape(sh); return NULL; }
        sh->private_weights = 1;
        if (reorder_into(l->weights, &l->weights_md, sh->weights, &sh->weights_md) != dnnl_success) { destroy_shape(sh); return NULL; }
    }
    dnnl_dims_t src_dims = {rows, l->k}, dst_dims = {rows, l->n};
    dnnl_memory_desc_init_by_tag(&sh->src_f32_md, 2, src_dims, dnnl_f32, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&sh->dst_md, 2, dst_dims, dnnl_f32, dnnl_ab);
    if (l->bf16) {
        dnnl_memory_desc_init_by_tag(&sh->src_md, 2, src_dims, dnnl_bf16, dnnl_ab);
        sh->src_bytes = dnnl_memory_desc_get_size(&sh->src_md);
        dnnl_primitive_attr_t attr = user_scratchpad();
        dnnl_primitive_desc_t cpd;
        dnnl_status_t s = attr ? dnnl_reorder_primitive_desc_create(&cpd, &sh->src_f32_md, engine, &sh->src_md, engine, attr) : dnnl_out_of_memory;
        if (attr) dnnl_primitive_attr_destroy(attr);
        if (s != dnnl_success) { destroy_shape(sh); return NULL; }
        sh->convert_scratch = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(cpd, dnnl_query_scratchpad_md, 0));
        s = dnnl_primitive_create(&sh->convert, cpd);
        dnnl_primitive_desc_destroy(cpd);
        if (s != dnnl_success) { destroy_shape(sh); return NULL; }
    }
    return sh;
}

// The shape for `rows` at this thread's thread count, marked in use (release_shape ends that).
static linear_shape *acquire_shape(vs_dnnl_linear *l, int64_t rows) {
    int threads = omp_get_max_threads();
    pthread_mutex_lock(&l->lock);
    linear_shape *sh = NULL;
    for (int i = 0; i < l->count && !sh; i++) if (l->shapes[i]->rows == rows && l->shapes[i]->threads == threads) sh = l->shapes[i];
    if (!sh) {
        if (l->count == max_shapes) {  // full: drop the oldest not running now
            for (int i = 0; i < l->count; i++) {
                if (l->shapes[i]->users > 0) continue;
                destroy_shape(l->shapes[i]);
                memmove(&l->shapes[i], &l->shapes[i + 1], sizeof(linear_shape *) * (size_t)(l->count - i - 1));
                l->count--;
                break;
            }
        }
        sh = make_shape(l, rows, threads);
        if (sh && l->count < max_shapes) l->shapes[l->count++] = sh;
        else if (sh) sh->users = -1000000;  // every slot busy: this call's own, freed after it
    }
    if (sh) sh->users++;
    pthread_mutex_unlock(&l->lock);
    return sh;
}

static void release_shape(vs_dnnl_linear *l, linear_shape *sh) {
    pthread_mutex_lock(&l->lock);
    sh->users--;
    int uncached = sh->users < 0;
    pthread_mutex_unlock(&l->lock);
    if (uncached) destroy_shape(sh);
}

static void *thread_buffer_reserve(thread_buffer *b, size_t bytes) {
    if (bytes == 0) return NULL;
    if (b->size < bytes) {
        free(b->data);
        size_t size = (bytes + 4095) & ~(size_t)4095;
        b->data = aligned_alloc(64, size);
        b->size = b->data ? size : 0;
    }
    return b->data;
}

int vs_dnnl_linear_apply(vs_dnnl_linear *l, int64_t rows, const float *in, float *out) {
    if (!ready()) return (int)dnnl_runtime_error;
    linear_shape *sh = acquire_shape(l, rows);
    if (!sh) return (int)dnnl_runtime_error;
    size_t scratch_bytes = sh->product_scratch > sh->convert_scratch ? sh->product_scratch : sh->convert_scratch;
    thread_buffers *buffers = this_threads_buffers();
    void *scratch = buffers ? thread_buffer_reserve(&buffers->scratch, scratch_bytes) : NULL;
    void *src16 = buffers ? thread_buffer_reserve(&buffers->source, sh->src_bytes) : NULL;
    dnnl_status_t s = (scratch_bytes && !scratch) || (sh->src_bytes && !src16) ? dnnl_out_of_memory : dnnl_success;
    dnnl_memory_t src_f32 = NULL, src = NULL, dst = NULL, pad = NULL;
    dnnl_memory_desc_t pad_md;
    dnnl_dims_t pad_dims = {(int64_t)scratch_bytes};
    if (s == dnnl_success) s = dnnl_memory_create(&src_f32, &sh->src_f32_md, engine, (void *)in);
    if (s == dnnl_success) s = dnnl_memory_create(&dst, &sh->dst_md, engine, out);
    if (s == dnnl_success && scratch_bytes) {
        s = dnnl_memory_desc_init_by_tag(&pad_md, 1, pad_dims, dnnl_u8, dnnl_a);
        if (s == dnnl_success) s = dnnl_memory_create(&pad, &pad_md, engine, scratch);
    }
    if (s == dnnl_success && sh->convert) {
        s = dnnl_memory_create(&src, &sh->src_md, engine, src16);
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, src_f32}, {DNNL_ARG_TO, src}, {DNNL_ARG_SCRATCHPAD, pad}};
        if (s == dnnl_success) s = dnnl_primitive_execute(sh->convert, stream, sh->convert_scratch ? 3 : 2, args);
    }
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, sh->convert ? src : src_f32}, {DNNL_ARG_WEIGHTS, sh->weights},
                                   {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, pad}};
        s = dnnl_primitive_execute(sh->product, stream, sh->product_scratch ? 4 : 3, args);
    }
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    if (src_f32) dnnl_memory_destroy(src_f32);
    if (src) dnnl_memory_destroy(src);
    if (dst) dnnl_memory_destroy(dst);
    if (pad) dnnl_memory_destroy(pad);
    release_shape(l, sh);
    return (int)s;
}

void vs_dnnl_linear_destroy(vs_dnnl_linear *l) {
    if (!l) return;
    for (int i = 0; i < l->count; i++) destroy_shape(l->shapes[i]);
    if (l->weights) dnnl_memory_destroy(l->weights);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int vs_dnnl_linear_unpack(vs_dnnl_linear *l, float *weight) {
    if (!ready()) return (int)dnnl_runtime_error;
    dnnl_dims_t dims = {l->k, l->n};
    dnnl_memory_desc_t plain_md;
    dnnl_memory_t plain;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&plain_md, 2, dims, dnnl_f32, dnnl_ba);
    if (s == dnnl_success) s = dnnl_memory_create(&plain, &plain_md, engine, weight);
    if (s != dnnl_success) return (int)s;
    s = reorder_into(l->weights, &l->weights_md, plain, &plain_md);
    dnnl_memory_destroy(plain);
    return (int)s;
}
