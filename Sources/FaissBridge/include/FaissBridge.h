// A narrow C surface over FAISS (C++). Every function catches FAISS's exceptions and
// reports them as a non-zero return with the message in `err`; nothing throws across it.
#ifndef VIDSEARCH_FAISS_BRIDGE_H
#define VIDSEARCH_FAISS_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vs_faiss_index vs_faiss_index;

/// Inner-product index from a FAISS factory string ("Flat", "HNSW32", "IVF1024,Flat", ...).
/// Indexes that do not take ids themselves are wrapped in an id map.
int vs_faiss_create(int dim, const char *factory, vs_faiss_index **out, char *err, size_t errlen);
int vs_faiss_is_trained(const vs_faiss_index *index);
int vs_faiss_train(vs_faiss_index *index, int64_t n, const float *x, char *err, size_t errlen);
int vs_faiss_add(vs_faiss_index *index, int64_t n, const float *x, const int64_t *ids,
                 char *err, size_t errlen);
/// distances and labels are n*k; missing results have label -1.
int vs_faiss_search(const vs_faiss_index *index, int64_t n, const float *x, int64_t k,
                    float *distances, int64_t *labels, char *err, size_t errlen);
int vs_faiss_remove(vs_faiss_index *index, int64_t n, const int64_t *ids, int64_t *removed,
                    char *err, size_t errlen);
/// Sets a search-time parameter by name ("efSearch", "nprobe").
int vs_faiss_set_parameter(vs_faiss_index *index, const char *name, double value,
                           char *err, size_t errlen);
int64_t vs_faiss_ntotal(const vs_faiss_index *index);
/* The index's kind as a factory string ("Flat", "IVF1024,Flat", "HNSW"), read from the index
   itself, under any id map; returns 1 (and "unknown") for a kind vidsearch does not make. */
int vs_faiss_describe(const vs_faiss_index *index, char *out, size_t len);
/// Copies the ids held (ntotal of them) into `ids`.
int vs_faiss_ids(const vs_faiss_index *index, int64_t *ids, char *err, size_t errlen);
int vs_faiss_dimension(const vs_faiss_index *index);
int vs_faiss_write(const vs_faiss_index *index, const char *path, char *err, size_t errlen);
int vs_faiss_read(const char *path, vs_faiss_index **out, char *err, size_t errlen);
void vs_faiss_free(vs_faiss_index *index);

#ifdef __cplusplus
}
#endif

#endif
