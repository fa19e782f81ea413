import Foundation
import Tensor

/// The index on disk: LMDB (the source of truth) in `<dir>/lmdb`, and FAISS (a rebuildable
/// cache of the segment vectors) in `<dir>/vectors-g<generation>.faiss`.
///
/// LMDB named databases: meta ("meta" -> IndexMeta JSON), videos (id -> VideoRecord JSON),
/// paths (path -> video id), fingerprints (fingerprint -> video id), segments (id -> times),
/// vectors (id -> f32), prompts (id -> 8-bit prompt tokens), thumbnails (id -> JPEG),
/// subtitles (video id -> VideoSubtitles JSON: the cues of its subtitles and transcripts).
/// Ids are big-endian keys. One video's records change in one write transaction, so after a
/// crash a video is wholly present or wholly absent.
public final class IndexStore {
    public let directory: URL
    let environment: LMDBEnvironment
    let writerLock: WriterLock?
    public internal(set) var meta: IndexMeta

    public var isWriter: Bool { writerLock != nil }
    /// This process made the index (no vector cache can be missing yet: nothing to report).
    public private(set) var createdNow = false
    public var model: ModelIdentity { meta.model }

    static let metaKey = Key.text("meta")
    /// Every named database, opened once when the environment opens (LMDBEnvironment's rule).
    static let databases = ["meta", "videos", "paths", "fingerprints", "segments", "vectors", "prompts", "thumbnails", "subtitles"]

    /// Opens an existing index for reading. Readers see the last committed state and may run
    /// while a writer works. With `model`, a different model is an error naming both.
    public init(readingAt directory: URL, model: ModelIdentity? = nil) throws {
        let lmdb = directory.appendingPathComponent("lmdb")
        guard FileManager.default.fileExists(atPath: lmdb.appendingPathComponent("data.mdb").path) else {
            throw IndexError.noIndex(path: directory.path)
        }
        try IndexFiles.checkNoLinks(in: directory)
        self.directory = directory
        environment = try LMDBEnvironment(path: lmdb.path, databases: Self.databases, readOnly: true)
        writerLock = nil
        guard let meta = try IndexStore.readMeta(environment, path: directory.path) else {
            throw IndexError.noIndex(path: directory.path)
        }
        self.meta = meta
        if let model { try checkModel(model) }
    }

    /// Opens (creating if needed) an index for writing, taking the writer lock. With `model` nil
    /// the index must exist and keeps its own model (for `remove`, which encodes nothing: one
    /// environment per process, as LMDB requires, where a reader opened first would be a second).
    public init(writingAt directory: URL, model: ModelIdentity?, faissFactory: String? = nil) throws {
        if model == nil, !FileManager.default.fileExists(atPath: directory.appendingPathComponent("lmdb/data.mdb").path) {
            throw IndexError.noIndex(path: directory.path)
        }
        try IndexFiles.createFolder(directory)
        try IndexFiles.checkNoLinks(in: directory)
        // A forced FAISS type is checked by building an empty index of it before it is saved:
        // a bad string stored in the meta would fail every later run.
        if let faissFactory, let model {
            do { _ = try FaissIndex(dimension: model.dimension, factory: faissFactory) } catch {
                throw IndexError.badFactory(factory: faissFactory, reason: "\(error)")
            }
        }
        writerLock = try WriterLock(directory: directory.path)
        self.directory = directory
        let lmdb = directory.appendingPathComponent("lmdb")
        if let model, !FileManager.default.fileExists(atPath: lmdb.appendingPathComponent("data.mdb").path) {
            // A new index is made in `lmdb.new` and renamed into place with its meta written: a
            // process killed while making it leaves no half-made environment (an empty data file
            // would read as a damaged index), only a staging folder the next writer replaces.
            try Self.create(lmdb, meta: IndexMeta(model: model, faissFactory: faissFactory))
            createdNow = true
        }
        environment = try LMDBEnvironment(path: lmdb.path, databases: Self.databases)
        if let existing = try IndexStore.readMeta(environment, path: directory.path) {
            meta = existing
            if let model { try checkModel(model) }
            var changed = false
            if let faissFactory, faissFactory != existing.faissFactory {
                meta.faissFactory = faissFactory
                changed = true
            }
            if meta.indexId == nil {
                meta.indexId = UUID().uuidString
                changed = true
            }
            if let model, model.fingerprint != meta.model.fingerprint {  // made before preprocessing was fingerprinted
                meta.model.fingerprint = model.fingerprint
                changed = true
            }
            if changed {
                let updated = meta
                try environment.write { try $0.put(try JSONEncoder().encode(updated).bytes, for: Self.metaKey, in: "meta") }
            }
        } else {
            // An environment without a meta record: made by an older vidsearch that was killed
            // before writing it. It holds nothing; it becomes a new index.
            guard let model else { throw IndexError.noIndex(path: directory.path) }
            meta = IndexMeta(model: model, faissFactory: faissFactory)
            createdNow = true
            let fresh = meta
            try environment.write { try $0.put(try JSONEncoder().encode(fresh).bytes, for: Self.metaKey, in: "meta") }
        }
    }

    private static func create(_ lmdb: URL, meta: IndexMeta) throws {
        let fm = FileManager.default
        let staging = lmdb.deletingLastPathComponent().appendingPathComponent("lmdb.new")
        try? fm.removeItem(at: staging)
        do {
            let environment = try LMDBEnvironment(path: staging.path, databases: databases)
            try environment.write { try $0.put(try JSONEncoder().encode(meta).bytes, for: metaKey, in: "meta") }
        }
        // Only a folder without a data file can be in the way (a lock file left by a killed reader).
        if fm.fileExists(atPath: lmdb.path) { try fm.removeItem(at: lmdb) }
        guard rename(staging.path, lmdb.path) == 0 else {
            throw IndexError.unreadable(path: lmdb.path, reason: "rename: \(String(cString: strerror(errno)))")
        }
        try CacheFileKind.fsync(lmdb.deletingLastPathComponent().path)
    }

    static func readMeta(_ environment: LMDBEnvironment, path: String) throws -> IndexMeta? {
        guard let bytes = try environment.read({ try $0.get(metaKey, in: "meta") }) else { return nil }
        struct Schema: Decodable { let schema: Int }
        guard let schema = try? JSONDecoder().decode(Schema.self, from: Data(bytes)) else {
            throw IndexError.corrupt(path: path, reason: "unreadable meta record")
        }
        if schema.schema > IndexMeta.currentSchema {
            throw IndexError.schemaTooNew(path: path, found: schema.schema, supported: IndexMeta.currentSchema)
        }
        guard let meta = try? JSONDecoder().decode(IndexMeta.self, from: Data(bytes)) else {
            throw IndexError.corrupt(path: path, reason: "unreadable meta record")
        }
        return meta
    }

    private func checkModel(_ model: ModelIdentity) throws {
        guard model.matches(meta.model) else {
            throw IndexError.wrongModel(index: directory.path, indexModel: meta.model.description, model: model.description)
        }
    }
}

extension Data {
    var bytes: [UInt8] { [UInt8](self) }
}
