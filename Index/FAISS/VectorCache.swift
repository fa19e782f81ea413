import Foundation
import Glibc

/// The FAISS side of the index: a cache of LMDB's segment vectors (L2-normalized, so inner
/// product is cosine), kept in `vectors-g<generation>.faiss` beside the LMDB environment.
///
/// - Written atomically: a temporary file, fsync, rename, fsync of the directory. The name
///   carries the LMDB generation it reflects.
/// - On open, a file behind LMDB is caught up (ids LMDB lacks are removed, ids FAISS lacks are
///   added); a missing or unreadable one is rebuilt from LMDB. Each prints one notice.
/// - Type: exact inner product (`Flat`) up to `approximateThreshold` segments, then
///   `HNSW32,Flat` (efSearch 128), unless the index's meta forces a factory string.
///   HNSW cannot remove ids: removed ones stay as tombstones, filtered at query time
///   (every hit is looked up in LMDB), until tombstones pass 10% and the cache is rebuilt.
public final class VectorCache {
    public static let approximateThreshold = 100_000
    public static let approximateFactory = "HNSW32,Flat"

    public let index: FaissIndex
    public let factory: String
    public let generation: UInt64
    /// Ids held by FAISS that LMDB no longer has (only where FAISS cannot remove), saved beside
    /// the FAISS file as `vectors-g<generation>.tombstones` so `verify` can tell them from damage.
    public private(set) var tombstoneIds: Set<Int64>
    public var tombstones: Int { tombstoneIds.count }
    /// What happened on open, for the one-line notice ("rebuilt: file unreadable", ...).
    public let notice: String?

    init(index: FaissIndex, factory: String, generation: UInt64, tombstones: Set<Int64>, notice: String?) {
        self.index = index
        self.factory = factory
        self.generation = generation
        self.tombstoneIds = tombstones
        self.notice = notice
    }

    /// The factory string for an index of `count` segments.
    public static func factory(forCount count: Int, forced: String?) -> String {
        forced ?? (count < approximateThreshold ? "Flat" : approximateFactory)
    }

    /// Loads the newest FAISS file of `store`, bringing it up to date with LMDB.
    public static func open(_ store: IndexStore) throws -> VectorCache {
        let target = store.meta.generation
        let (path, generation) = newestFile(in: store.directory)
        let dimension = store.model.dimension
        if let path {
            do {
                let index = try FaissIndex(contentsOf: path.path)
                guard index.dimension == dimension else {
                    throw FaissError(operation: "read", message: "dimension \(index.dimension), expected \(dimension)")
                }
                let cache = VectorCache(index: index, factory: factory(forCount: index.count, forced: store.meta.faissFactory),
                                        generation: generation, tombstones: readTombstones(store.directory, generation), notice: nil)
                if generation == target { return cache }
                let (added, removed) = try cache.catchUp(store)
                return VectorCache(index: cache.index, factory: cache.factory, generation: target, tombstones: cache.tombstoneIds,
                                   notice: "vector cache was at generation \(generation), index at \(target): caught up (+\(added) -\(removed))")
            } catch {
                let rebuilt = try rebuild(store)
                return VectorCache(index: rebuilt.index, factory: rebuilt.factory, generation: target, tombstones: [],
                                   notice: "vector cache \(path.lastPathComponent) unreadable (\(error)): rebuilt from LMDB")
            }
        }
        let rebuilt = try rebuild(store)
        let (_, segments) = try store.counts()
        return VectorCache(index: rebuilt.index, factory: rebuilt.factory, generation: target, tombstones: [],
                           notice: segments == 0 ? nil : "vector cache missing: rebuilt from LMDB")
    }

    /// A fresh FAISS index of every vector in LMDB.
    public static func rebuild(_ store: IndexStore) throws -> VectorCache {
        let (_, count) = try store.counts()
        let factory = factory(forCount: count, forced: store.meta.faissFactory)
        let index = try FaissIndex(dimension: store.model.dimension, factory: factory)
        var ids: [Int64] = []
        var vectors: [Float] = []
        var trainingDone = index.isTrained
        func flush() throws {
            guard !ids.isEmpty else { return }
            if !trainingDone { try index.train(vectors); trainingDone = true }
            try index.add(vectors, ids: ids)
            ids.removeAll(keepingCapacity: true)
            vectors.removeAll(keepingCapacity: true)
        }
        try store.forEachVector { id, vector in
            ids.append(id)
            vectors += normalized(vector)
            if ids.count >= (trainingDone ? 4096 : 65536) { try flush() }
        }
        try flush()
        if factory.hasPrefix("HNSW") { try? index.setParameter("efSearch", 128) }
        if factory.hasPrefix("IVF") { try? index.setParameter("nprobe", 32) }
        return VectorCache(index: index, factory: factory, generation: store.meta.generation, tombstones: [], notice: nil)
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
        return VectorCache.factory(forCount: index.count - tombstones, forced: store.meta.faissFactory) != factory
    }

    /// Writes the cache atomically as the file of its generation and removes older ones.
    /// Tombstones go first, under their own name, so a FAISS file never appears without them.
    public func save(in directory: URL) throws {
        let tombstoneFile = directory.appendingPathComponent("vectors-g\(generation).tombstones")
        if !tombstoneIds.isEmpty {
            let staging = directory.appendingPathComponent("tombstones.tmp-\(getpid())")
            try tombstoneIds.sorted().map(String.init).joined(separator: "\n").write(to: staging, atomically: false, encoding: .utf8)
            try VectorCache.fsync(staging.path)
            guard rename(staging.path, tombstoneFile.path) == 0 else {
                throw IndexError.unreadable(path: tombstoneFile.path, reason: "rename: \(String(cString: strerror(errno)))")
            }
        }
        let temporary = directory.appendingPathComponent("vectors.tmp-\(getpid())")
        try index.write(to: temporary.path)
        try VectorCache.fsync(temporary.path)
        let final = directory.appendingPathComponent("vectors-g\(generation).faiss")
        guard rename(temporary.path, final.path) == 0 else {
            throw IndexError.unreadable(path: final.path, reason: "rename: \(String(cString: strerror(errno)))")
        }
        try VectorCache.fsync(directory.path)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let g = VectorCache.generation(ofFile: file) ?? VectorCache.generation(ofFile: file.replacingOccurrences(of: ".tombstones", with: ".faiss"))
            if let g, g < generation {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
            }
        }
    }

    /// The tombstones saved with the FAISS file of `generation` (none if there is no such file).
    static func readTombstones(_ directory: URL, _ generation: UInt64) -> Set<Int64> {
        let file = directory.appendingPathComponent("vectors-g\(generation).tombstones")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").compactMap { Int64($0) })
    }

    static func newestFile(in directory: URL) -> (URL?, UInt64) {
        var best: (URL?, UInt64) = (nil, 0)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            if let g = generation(ofFile: file), best.0 == nil || g > best.1 {
                best = (directory.appendingPathComponent(file), g)
            }
        }
        return best
    }

    static func generation(ofFile name: String) -> UInt64? {
        guard name.hasPrefix("vectors-g"), name.hasSuffix(".faiss") else { return nil }
        return UInt64(name.dropFirst("vectors-g".count).dropLast(".faiss".count))
    }

    static func fsync(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw IndexError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        _ = Foundation.fsync(fd)
    }

    public static func normalized(_ v: [Float]) -> [Float] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return n > 0 ? v.map { $0 / n } : v
    }
}
