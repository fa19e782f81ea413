import Foundation
import Glibc
import Tensor

/// The FAISS side of the index: a cache of LMDB's segment vectors (L2-normalized, so inner
/// product is cosine), kept in `vectors-g<generation>.faiss` beside the LMDB environment.
///
/// - Written atomically: a temporary file, fsync, rename, fsync of the directory. The name
///   carries the LMDB generation it reflects.
/// - On open, a file behind LMDB is caught up (ids LMDB lacks are removed, ids FAISS lacks are
///   added); a missing or unreadable one is rebuilt from LMDB. Each prints one notice.
/// - Type: exact inner product (`Flat`) below `approximateThreshold` segments, then an inverted
///   file (`IVF1024,Flat`, from 1M `IVF4096,Flat`; nprobe from `probes(lists:)`), unless the
///   index's meta forces a factory string. IVF over HNSW because it builds in a fraction of the
///   time on a small machine (k-means on a sample, then one assignment per vector: about a minute
///   for 1M vectors on 2 cores, which a rebuild after a crash must also pay) and removes ids.
///   A forced HNSW cannot remove ids: removed ones stay as tombstones, filtered at query time
///   (every hit is looked up in LMDB), until tombstones pass 10% and the cache is rebuilt.
public final class VectorCache {
    public static let approximateThreshold = 100_000

    public let index: FaissIndex
    public let factory: String
    public let generation: UInt64
    /// Ids held by FAISS that LMDB no longer has (only where FAISS cannot remove), saved beside
    /// the FAISS file as `vectors-g<generation>.tombstones` so `verify` can tell them from damage.
    public private(set) var tombstoneIds: Set<Int64>
    public var tombstones: Int { tombstoneIds.count }
    /// What happened on open, for the one-line notice ("rebuilt: file unreadable", ...).
    public let notice: String?

    /// The LMDB environment's id (IndexMeta.indexId), written into the stamp on save.
    let indexId: String?

    init(index: FaissIndex, factory: String, generation: UInt64, tombstones: Set<Int64>, notice: String?, indexId: String?) {
        self.indexId = indexId
        self.index = index
        self.factory = factory
        self.generation = generation
        self.tombstoneIds = tombstones
        self.notice = notice
    }

    /// The factory string for an index of `count` segments.
    public static func factory(forCount count: Int, forced: String?) -> String {
        if let forced { return forced }
        if count < approximateThreshold { return "Flat" }
        return count < 1_000_000 ? "IVF1024,Flat" : "IVF4096,Flat"
    }

    /// A factory string as FaissIndex.kind reports an index of it: HNSW without its parameters.
    public static func kind(ofFactory factory: String) -> String {
        factory.hasPrefix("HNSW") ? "HNSW" : factory
    }

    /// Lists searched per query for an IVF of `lists` lists: 32 up to 1,024 lists, then lists / 64
    /// (64 of 4,096). Chosen on `vidsearch bench index`'s harder data shape (one video per topic):
    /// BENCHMARKS.md's `index.100k.search.approximate.*` and `index.1M.search.approximate.*` rows
    /// give recall@100 and latency at each setting, beside a whole query's.
    public static func probes(lists: Int) -> Int {
        lists <= 1024 ? min(32, lists) : lists / 64
    }

    /// The list count of an inverted-file factory string ("IVF4096,Flat" -> 4096), else nil.
    public static func lists(inFactory factory: String) -> Int? {
        factory.hasPrefix("IVF") ? Int(factory.dropFirst(3).prefix { $0.isNumber }) : nil
    }

    /// Search-time settings for a factory: HNSW's efSearch, IVF's nprobe.
    public static func tune(_ index: FaissIndex, factory: String) {
        if factory.hasPrefix("HNSW") { try? index.setParameter("efSearch", 128) }
        if let lists = lists(inFactory: factory) { try? index.setParameter("nprobe", Double(probes(lists: lists))) }
    }

    /// Vectors k-means trains on for an IVF of `lists` lists (FAISS asks for at least 39 per list).
    public static func trainingSize(_ factory: String) -> Int {
        max(65536, 40 * (lists(inFactory: factory) ?? 0))
    }

    /// Loads the newest FAISS file of `store`, bringing it up to date with LMDB.
    public static func open(_ store: IndexStore) throws -> VectorCache {
        let target = store.meta.generation
        let (path, generation) = newestFile(in: store.directory)
        let dimension = store.model.dimension
        if let path {
            // Trusted only with a stamp that names this LMDB environment and matches every byte.
            let distrust: String?
            if generation > target {
                distrust = "is at generation \(generation), ahead of the index's \(target)"
            } else if let stamp = CacheStamp.read(VectorCache.files.stampURL(in: store.directory, generation: generation)) {
                distrust =
                    stamp.generation != generation
                    ? "has another generation's stamp"
                    : stamp.problem(file: path, index: store.meta.indexId).map { "is \($0)" }
            } else {
                distrust = "has no stamp (written by an older vidsearch, or its stamp was lost)"
            }
            if let distrust {
                let rebuilt = try rebuild(store)
                return VectorCache(
                    index: rebuilt.index, factory: rebuilt.factory, generation: target, tombstones: [],
                    notice: "vector cache \(path.lastPathComponent) \(distrust): rebuilt from LMDB", indexId: store.meta.indexId)
            }
            do {
                let index = try FaissIndex(contentsOf: path.path)
                guard index.dimension == dimension else {
                    throw FaissError(operation: "read", message: "dimension \(index.dimension), expected \(dimension)")
                }
                // The file's own kind: one written at another size (an IVF1024 that has since
                // passed 1M vectors) is tuned for what it is until a rebuild replaces it.
                let kind = index.kind ?? factory(forCount: index.count, forced: store.meta.faissFactory)
                tune(index, factory: kind)
                let cache = VectorCache(
                    index: index, factory: kind,
                    generation: generation, tombstones: readTombstones(store.directory, generation), notice: nil, indexId: store.meta.indexId)
                if generation == target { return cache }
                let (added, removed) = try cache.catchUp(store)
                return VectorCache(
                    index: cache.index, factory: cache.factory, generation: target, tombstones: cache.tombstoneIds,
                    notice: "vector cache was at generation \(generation), index at \(target): caught up (+\(added) -\(removed))",
                    indexId: store.meta.indexId)
            } catch {
                let rebuilt = try rebuild(store)
                return VectorCache(
                    index: rebuilt.index, factory: rebuilt.factory, generation: target, tombstones: [],
                    notice: "vector cache \(path.lastPathComponent) unreadable (\(error)): rebuilt from LMDB", indexId: store.meta.indexId)
            }
        }
        let rebuilt = try rebuild(store)
        let (_, segments) = try store.counts()
        return VectorCache(
            index: rebuilt.index, factory: rebuilt.factory, generation: target, tombstones: [],
            notice: segments == 0 || store.createdNow ? nil : "vector cache missing: rebuilt from LMDB",
            indexId: store.meta.indexId)
    }

    /// A fresh FAISS index of every vector in LMDB.
    public static func rebuild(_ store: IndexStore) throws -> VectorCache {
        let (_, count) = try store.counts()
        let factory = factory(forCount: count, forced: store.meta.faissFactory)
        let index = try FaissIndex(dimension: store.model.dimension, factory: factory)
        // FAISS's k-means and assignment are BLAS products; the model keeps OpenBLAS on one thread.
        BLAS.threads = Parallel.cores
        defer { BLAS.threads = 1 }
        if !index.isTrained {
            // Train on a sample spread evenly over the whole archive: the first vectors alone come
            // from the first videos, and lists trained on them scatter every later video.
            let stride = max(1, count / trainingSize(factory))
            var sample: [Float] = []
            var position = 0
            try store.forEachVector { _, vector in
                if position % stride == 0 { sample += normalized(vector) }
                position += 1
            }
            if !sample.isEmpty { try index.train(sample) }
        }
        var ids: [Int64] = []
        var vectors: [Float] = []
        try store.forEachVector { id, vector in
            ids.append(id)
            vectors += normalized(vector)
            if ids.count >= 16384 {
                try index.add(vectors, ids: ids)
                ids.removeAll(keepingCapacity: true)
                vectors.removeAll(keepingCapacity: true)
            }
        }
        if !ids.isEmpty { try index.add(vectors, ids: ids) }
        tune(index, factory: factory)
        return VectorCache(
            index: index, factory: factory, generation: store.meta.generation, tombstones: [], notice: nil, indexId: store.meta.indexId)
    }

    /// This cache brought up to the index's generation in memory (after this process committed
    /// videos): what a watching server searches next, without reading the file again.
    public func caughtUp(_ store: IndexStore) throws -> VectorCache {
        guard store.meta.generation != generation else { return self }
        _ = try catchUp(store)
        return VectorCache(
            index: index, factory: factory, generation: store.meta.generation, tombstones: tombstoneIds,
            notice: nil, indexId: store.meta.indexId)
    }

    /// Adds what LMDB has and FAISS lacks; removes (or tombstones) what FAISS has and LMDB lacks.
    private func catchUp(_ store: IndexStore) throws -> (added: Int, removed: Int) {
        let held = Set(try index.ids())
        let truth = try store.segmentIds()
        let stale = Array(held.subtracting(truth).subtracting(tombstoneIds))
        if !stale.isEmpty {
            do { try index.remove(ids: stale) } catch { tombstoneIds.formUnion(stale) }
        }
        let missing = truth.subtracting(held)
        var ids: [Int64] = [], vectors: [Float] = []
        for id in missing.sorted() {
            guard let vector = try store.embedding(segment: id) else { continue }
            ids.append(id)
            vectors += VectorCache.normalized(vector)
        }
        if !ids.isEmpty { try index.add(vectors, ids: ids) }
        return (ids.count, stale.count)
    }

    /// Whether the cache should be rebuilt: too many tombstones, or past the size rule.
    public func needsRebuild(_ store: IndexStore) throws -> Bool {
        if tombstones * 10 > max(index.count, 1) { return true }
        let wanted = VectorCache.factory(forCount: index.count - tombstones, forced: store.meta.faissFactory)
        return VectorCache.kind(ofFactory: wanted) != VectorCache.kind(ofFactory: factory)
    }

    /// Writes the cache atomically as the file of its generation and removes older ones.
    /// Tombstones go first, under their own name, so a FAISS file never appears without them.
    public func save(in directory: URL) throws {
        let tombstoneFile = directory.appendingPathComponent("vectors-g\(generation).tombstones")
        if !tombstoneIds.isEmpty {
            let staging = directory.appendingPathComponent("tombstones.tmp-\(getpid())")
            try tombstoneIds.sorted().map(String.init).joined(separator: "\n").write(to: staging, atomically: false, encoding: .utf8)
            try CacheFileKind.fsync(staging.path)
            guard rename(staging.path, tombstoneFile.path) == 0 else {
                throw IndexError.unreadable(path: tombstoneFile.path, reason: "rename: \(String(cString: strerror(errno)))")
            }
        }
        let temporary = directory.appendingPathComponent("vectors.tmp-\(getpid())")
        try index.write(to: temporary.path)
        try Self.files.publish(temporary, generation: generation, indexId: indexId, in: directory)
    }

    /// The tombstones saved with the FAISS file of `generation` (none if there is no such file).
    static func readTombstones(_ directory: URL, _ generation: UInt64) -> Set<Int64> {
        let file = directory.appendingPathComponent("vectors-g\(generation).tombstones")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").compactMap { Int64($0) })
    }

    /// vectors-g<generation>.faiss, its .stamp and .tombstones.
    static let files = CacheFileKind(
        prefix: "vectors-g", suffix: ".faiss", companions: [".stamp", ".tombstones"],
        temporaries: ["vectors.tmp-", "stamp.tmp-", "tombstones.tmp-"], stampStaging: "stamp.tmp-")

    static func newestFile(in directory: URL) -> (URL?, UInt64) { files.newest(in: directory) }

    public static func normalized(_ v: [Float]) -> [Float] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return n > 0 ? v.map { $0 / n } : v
    }
}
