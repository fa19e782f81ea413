// The C bridge over FAISS. FAISS signals bad input by throwing; each entry point turns
// any exception into an error code and a message so that Swift never sees one.
#include "FaissBridge.h"

#include <faiss/AutoTune.h>
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>

// libgomp's two calls, declared here: clang does not see GCC's omp.h.
extern "C" int omp_get_max_threads(void);
extern "C" void omp_set_num_threads(int);

#include <cstdio>
#include <cstring>
#include <typeinfo>
#include <exception>
#include <algorithm>
#include <memory>
#include <string>

struct vs_faiss_index {
    std::unique_ptr<faiss::Index> index;
};

namespace {

void set_error(char *err, size_t errlen, const char *message) {
    if (err && errlen > 0) {
        std::snprintf(err, errlen, "%s", message);
    }
}

template <typename Body>
int guarded(char *err, size_t errlen, Body body) {
    try {
        body();
        return 0;
    } catch (const faiss::FaissException &e) {
        set_error(err, errlen, e.msg.c_str());
    } catch (const std::exception &e) {
        set_error(err, errlen, e.what());
    } catch (...) {
        set_error(err, errlen, "unknown FAISS error");
    }
    return 1;
}

// An inverted file stores the ids it is given and removes by id in place; wrapping it in an id
// map would be wrong, since the map assumes removal renumbers the inner index (as Flat does).
bool takes_ids(const faiss::Index *index) {
    return dynamic_cast<const faiss::IndexIDMap *>(index) != nullptr ||
           dynamic_cast<const faiss::IndexIDMap2 *>(index) != nullptr ||
           dynamic_cast<const faiss::IndexIVF *>(index) != nullptr;
}

// Limits this thread's OpenMP teams to one thread while in scope (when `active`), restoring the
// previous limit however the scope is left.
struct OneThreadFor {
    int saved;
    bool active;
    explicit OneThreadFor(bool active) : saved(omp_get_max_threads()), active(active) {
        if (active) omp_set_num_threads(1);
    }
    ~OneThreadFor() {
        if (active) omp_set_num_threads(saved);
    }
};

}  // namespace

extern "C" {

int vs_faiss_create(int dim, const char *factory, vs_faiss_index **out, char *err, size_t errlen) {
    *out = nullptr;
    return guarded(err, errlen, [&] {
        if (dim <= 0) throw std::invalid_argument("dimension must be positive");
        std::unique_ptr<faiss::Index> index(
            faiss::index_factory(dim, factory, faiss::METRIC_INNER_PRODUCT));
        if (auto *ivf = dynamic_cast<faiss::IndexIVF *>(index.get())) {
            // Inner product over unit vectors: k-means must keep its centroids on the sphere too,
            // or assignment by inner product favours the longest centroids and recall collapses.
            ivf->cp.spherical = true;
        }
        if (!takes_ids(index.get())) {
            // IndexIDMap2 keeps the reverse map, so ids can be removed where the inner index allows.
            auto *map = new faiss::IndexIDMap2(index.release());
            map->own_fields = true;
            index.reset(map);
        }
        *out = new vs_faiss_index{std::move(index)};
    });
}

int vs_faiss_is_trained(const vs_faiss_index *index) { return index->index->is_trained ? 1 : 0; }

int vs_faiss_train(vs_faiss_index *index, int64_t n, const float *x, char *err, size_t errlen) {
    return guarded(err, errlen, [&] { index->index->train(n, x); });
}

int vs_faiss_add(vs_faiss_index *index, int64_t n, const float *x, const int64_t *ids,
                 char *err, size_t errlen) {
    return guarded(err, errlen, [&] {
        if (!index->index->is_trained) throw std::invalid_argument("index is not trained");
        index->index->add_with_ids(n, x, ids);
    });
}

int vs_faiss_search(const vs_faiss_index *index, int64_t n, const float *x, int64_t k,
                    float *distances, int64_t *labels, char *err, size_t errlen) {
    return guarded(err, errlen, [&] {
        if (k <= 0) throw std::invalid_argument("k must be positive");
        // One query (a user's search) runs on this thread alone: an OpenMP team would gain
        // nothing on it, and its threads then spin for milliseconds, taking the cores from the
        // rerank that follows.
        OneThreadFor scope(n == 1);
        index->index->search(n, x, k, distances, labels);
    });
}

int vs_faiss_remove(vs_faiss_index *index, int64_t n, const int64_t *ids, int64_t *removed,
                    char *err, size_t errlen) {
    *removed = 0;
    return guarded(err, errlen, [&] {
        faiss::IDSelectorArray selector(static_cast<size_t>(n), ids);
        *removed = static_cast<int64_t>(index->index->remove_ids(selector));
    });
}

int vs_faiss_set_parameter(vs_faiss_index *index, const char *name, double value,
                           char *err, size_t errlen) {
    return guarded(err, errlen, [&] {
        faiss::ParameterSpace space;
        space.set_index_parameter(index->index.get(), name, value);
    });
}

int64_t vs_faiss_ntotal(const vs_faiss_index *index) { return index->index->ntotal; }

int vs_faiss_describe(const vs_faiss_index *index, char *out, size_t len) {
    const faiss::Index *inner = index->index.get();
    if (auto *map = dynamic_cast<const faiss::IndexIDMap2 *>(inner)) inner = map->index;
    else if (auto *plain = dynamic_cast<const faiss::IndexIDMap *>(inner)) inner = plain->index;
    std::string kind = "unknown";
    if (auto *ivf = dynamic_cast<const faiss::IndexIVF *>(inner)) {
        kind = "IVF" + std::to_string(ivf->nlist) + (dynamic_cast<const faiss::IndexIVFFlat *>(inner) ? ",Flat" : "");
    } else if (std::strstr(typeid(*inner).name(), "IndexHNSW")) {
        kind = "HNSW";  // by name: faiss/IndexHNSW.h needs GCC's omp.h, which clang does not see
    } else if (dynamic_cast<const faiss::IndexFlat *>(inner)) {
        kind = "Flat";
    }
    std::snprintf(out, len, "%s", kind.c_str());
    return kind == "unknown" ? 1 : 0;
}

int vs_faiss_ids(const vs_faiss_index *index, int64_t *ids, char *err, size_t errlen) {
    return guarded(err, errlen, [&] {
        if (auto *map2 = dynamic_cast<const faiss::IndexIDMap2 *>(index->index.get())) {
            std::copy(map2->id_map.begin(), map2->id_map.end(), ids);
        } else if (auto *map = dynamic_cast<const faiss::IndexIDMap *>(index->index.get())) {
            std::copy(map->id_map.begin(), map->id_map.end(), ids);
        } else if (auto *ivf = dynamic_cast<const faiss::IndexIVF *>(index->index.get())) {
            for (size_t list = 0; list < ivf->nlist; list++) {
                size_t size = ivf->invlists->list_size(list);
                if (size == 0) continue;
                faiss::InvertedLists::ScopedIds listIds(ivf->invlists, list);
                std::copy(listIds.get(), listIds.get() + size, ids);
                ids += size;
            }
        } else {
            throw std::runtime_error("index holds no id map");
        }
    });
}

int vs_faiss_dimension(const vs_faiss_index *index) { return index->index->d; }

int vs_faiss_write(const vs_faiss_index *index, const char *path, char *err, size_t errlen) {
    return guarded(err, errlen, [&] { faiss::write_index(index->index.get(), path); });
}

int vs_faiss_read(const char *path, vs_faiss_index **out, char *err, size_t errlen) {
    *out = nullptr;
    return guarded(err, errlen, [&] {
        std::unique_ptr<faiss::Index> index(faiss::read_index(path));
        if (!takes_ids(index.get())) throw std::runtime_error("index file holds no id map");
        *out = new vs_faiss_index{std::move(index)};
    });
}

void vs_faiss_free(vs_faiss_index *index) { delete index; }

}  // extern "C"
