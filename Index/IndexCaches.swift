/// The index's two caches, the segment vectors (FAISS) and the subtitle lines (FTS5), brought up
/// to what LMDB holds and written once, atomically, at the end of a writer's run: what `index`,
/// `remove`, `merge`, `demo` and the folder watcher do after committing.
public enum IndexCaches {
    /// `rebuildVectors`: build the vector cache anew rather than catch it up (after a merge,
    /// which adds whole shards). Returns the notices of what was found on the way (a cache that
    /// was missing, damaged or behind).
    @discardableResult
    public static func save(_ store: IndexStore, rebuildVectors: Bool = false) throws -> [String] {
        let vectors = try VectorCache.open(store)
        let final = try rebuildVectors || vectors.needsRebuild(store) ? try VectorCache.rebuild(store) : vectors
        try final.save(in: store.directory)
        let text = try TextCache.open(store)
        try text.save(in: store.directory)
        return [vectors.notice, text.notice].compactMap { $0 }
    }
}
