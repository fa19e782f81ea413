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
    private let writerLock: WriterLock?
    public private(set) var meta: IndexMeta

    public var isWriter: Bool { writerLock != nil }
    /// This process made the index (no vector cache can be missing yet: nothing to report).
    public private(set) var createdNow = false
    public var model: ModelIdentity { meta.model }

    static let metaKey = Key.text("meta")

    /// Opens an existing index for reading. Readers see the last committed state and may run
    /// while a writer works. With `model`, a different model is an error naming both.
    public init(readingAt directory: URL, model: ModelIdentity? = nil) throws {
        let lmdb = directory.appendingPathComponent("lmdb")
        guard FileManager.default.fileExists(atPath: lmdb.appendingPathComponent("data.mdb").path) else {
            throw IndexError.noIndex(path: directory.path)
        }
        try IndexFiles.checkNoLinks(in: directory)
        self.directory = directory
        environment = try LMDBEnvironment(path: lmdb.path, readOnly: true)
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
        environment = try LMDBEnvironment(path: lmdb.path)
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
            let environment = try LMDBEnvironment(path: staging.path)
            try environment.write { try $0.put(try JSONEncoder().encode(meta).bytes, for: metaKey, in: "meta") }
        }
        // Only a folder without a data file can be in the way (a lock file left by a killed reader).
        if fm.fileExists(atPath: lmdb.path) { try fm.removeItem(at: lmdb) }
        guard rename(staging.path, lmdb.path) == 0 else {
            throw IndexError.unreadable(path: lmdb.path, reason: "rename: \(String(cString: strerror(errno)))")
        }
        try VectorCache.fsync(lmdb.deletingLastPathComponent().path)
    }

    private static func readMeta(_ environment: LMDBEnvironment, path: String) throws -> IndexMeta? {
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

    // MARK: Reading

    /// A reader's meta brought up to date after another process committed (its generation and
    /// counters): what a server with a watcher beside it reads before each search.
    public func reloadMeta() throws {
        precondition(!isWriter, "a writer's meta is always current")
        if let current = try Self.readMeta(environment, path: directory.path) { meta = current }
    }

    public func video(path: String) throws -> VideoRecord? {
        try environment.read { txn in
            guard let id = try txn.get(Key.path(path), in: "paths") else { return nil }
            return try Self.video(id, txn)
        }
    }

    public func video(id: UInt64) throws -> VideoRecord? {
        try environment.read { try Self.video(Key.id(id), $0) }
    }

    public func video(fingerprint: String) throws -> VideoRecord? {
        try environment.read { txn in
            guard let id = try txn.get(Key.text(fingerprint), in: "fingerprints") else { return nil }
            return try Self.video(id, txn)
        }
    }

    static func video(_ key: [UInt8], _ txn: LMDBTransaction) throws -> VideoRecord? {
        guard let bytes = try txn.get(key, in: "videos") else { return nil }
        return try? JSONDecoder().decode(VideoRecord.self, from: Data(bytes))
    }

    public func videos() throws -> [VideoRecord] {
        try environment.read { txn in
            var all: [VideoRecord] = []
            try txn.forEach(in: "videos") { _, value in
                if let video = try? JSONDecoder().decode(VideoRecord.self, from: Data(value)) { all.append(video) }
                return true
            }
            return all
        }
    }

    public func segment(id: Int64) throws -> SegmentRecord? {
        try environment.read { txn in
            try txn.get(Key.id(id), in: "segments").flatMap { SegmentRecord(id: id, encoded: $0) }
        }
    }

    /// Segment records and their videos' paths, read in one snapshot: what a search result shows.
    /// Only the path and id of each video record are decoded: a long video's segment list makes
    /// the whole record ~5x slower to decode (measured in development: ~37 us for 100 segments,
    /// so a query's 100 hits from 100 videos spent ~3 ms here).
    public func lookup(_ ids: [Int64]) throws -> [Int64: (segment: SegmentRecord, path: String)] {
        struct VideoPath: Decodable { let id: UInt64; let path: String }
        return try environment.read { txn in
            var found: [Int64: (SegmentRecord, String)] = [:]
            var paths: [UInt64: String] = [:]
            for id in ids {
                guard let bytes = try txn.get(Key.id(id), in: "segments"), let segment = SegmentRecord(id: id, encoded: bytes) else { continue }
                if paths[segment.videoId] == nil, let record = try txn.get(Key.id(segment.videoId), in: "videos") {
                    paths[segment.videoId] = (try? JSONDecoder().decode(VideoPath.self, from: Data(record)))?.path
                }
                if let path = paths[segment.videoId] { found[id] = (segment, path) }
            }
            return found
        }
    }

    /// A video's segment records, in one snapshot, in time order.
    public func segments(of video: VideoRecord) throws -> [SegmentRecord] {
        try environment.read { txn in
            try video.segmentIds.compactMap { id in try txn.get(Key.id(id), in: "segments").flatMap { SegmentRecord(id: id, encoded: $0) } }
        }.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
    }

    public func embedding(segment id: Int64) throws -> [Float]? {
        try environment.read { txn in try txn.get(Key.id(id), in: "vectors").map(Self.floats) }
    }

    /// What the reranker reads for each candidate, in one read transaction and decoded in place:
    /// its video embedding (nil for a segment LMDB no longer has) and whether it has prompt
    /// tokens; those it has are decoded into `tokens`, packed in candidate order.
    public func rerankInputs(_ ids: [Int64], tokens: UnsafeMutablePointer<Float>) throws -> [(embedding: [Float], prompted: Bool)?] {
        let count = meta.model.promptTokens, width = meta.model.dimension
        return try environment.read { txn in
            var packed = 0
            return try ids.map { id in
                guard let embedding = try txn.get(Key.id(id), in: "vectors").map(Self.floats) else { return nil }
                let prompted = try txn.withValue(Key.id(id), in: "prompts") {
                    PromptTokenCodec.decode($0, into: tokens + packed * count * width, tokens: count, width: width)
                } ?? false
                if prompted { packed += 1 }
                return (embedding, prompted)
            }
        }
    }

    /// Everything stored for a video's segments, in one snapshot, as ingest hands it to `put`
    /// (prompt tokens decoded from their 8-bit form, which re-encodes to the same bytes): what a
    /// merge copies from a shard. nil when a segment's records are missing.
    public func encodedSegments(of video: VideoRecord) throws -> [EncodedSegment]? {
        let count = meta.model.promptTokens, width = meta.model.dimension
        return try environment.read { txn -> [EncodedSegment]? in
            var out: [EncodedSegment] = []
            for id in video.segmentIds {
                guard let bytes = try txn.get(Key.id(id), in: "segments"), let segment = SegmentRecord(id: id, encoded: bytes),
                      let vector = try txn.get(Key.id(id), in: "vectors") else { return nil }
                var tokens: [Float] = []
                if let encoded = try txn.get(Key.id(id), in: "prompts") {
                    tokens = [Float](repeating: 0, count: count * width)
                    let ok = tokens.withUnsafeMutableBufferPointer { PromptTokenCodec.decode(encoded, into: $0.baseAddress!, tokens: count, width: width) }
                    if !ok { return nil }
                }
                out.append(EncodedSegment(segment: segment, embedding: Self.floats(vector), promptTokens: tokens,
                                          thumbnail: try txn.get(Key.id(id), in: "thumbnails") ?? []))
            }
            return out
        }
    }

    /// A video's subtitles and transcripts (nil: none stored).
    public func subtitles(videoId: UInt64) throws -> VideoSubtitles? {
        try environment.read { txn in
            try txn.get(Key.id(videoId), in: "subtitles").flatMap { try? JSONDecoder().decode(VideoSubtitles.self, from: Data($0)) }
        }
    }

    public func thumbnail(segment id: Int64) throws -> [UInt8]? {
        try environment.read { try $0.get(Key.id(id), in: "thumbnails") }
    }

    public func counts() throws -> (videos: Int, segments: Int) {
        try environment.read { (try $0.count(in: "videos"), try $0.count(in: "segments")) }
    }

    /// Every stored segment id and vector, in id order (for building the FAISS cache).
    public func forEachVector(_ body: (Int64, [Float]) throws -> Void) throws {
        try environment.read { txn in
            try txn.forEach(in: "vectors") { key, value in
                if let id = Key.decodeId(key, as: Int64.self) { try body(id, Self.floats(value)) }
                return true
            }
        }
    }

    /// Every stored segment id.
    public func segmentIds() throws -> Set<Int64> {
        try environment.read { txn in
            var ids = Set<Int64>()
            try txn.forEach(in: "segments") { key, _ in
                if let id = Key.decodeId(key, as: Int64.self) { ids.insert(id) }
                return true
            }
            return ids
        }
    }

    static func floats(_ bytes: [UInt8]) -> [Float] {
        (0..<(bytes.count / 4)).map { Float(bitPattern: bytes.loadLE(UInt32.self, at: $0 * 4)) }
    }

    static func bytes(_ floats: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: floats.count * 4)
        out.withUnsafeMutableBytes { raw in
            for (i, f) in floats.enumerated() { raw.storeBytes(of: f.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        return out
    }

    // MARK: Writing (each call is one transaction)

    private func requireWriter() {
        precondition(isWriter, "index opened for reading cannot be written")
    }

    /// Stores a video and its segments in one transaction, replacing whatever the index held
    /// for the same path (the old segments leave in the same transaction). Returns the record stored.
    /// `subtitles`: what the video says; nil where it was not read (the record's summary is then
    /// nil too, and the next run reads it).
    @discardableResult
    public func put(video: VideoRecord, segments: [EncodedSegment], subtitles: VideoSubtitles? = nil) throws -> VideoRecord {
        requireWriter()
        let model = meta.model
        for s in segments {
            guard s.embedding.count == model.dimension else { throw IndexError.dimensionMismatch(expected: model.dimension, found: s.embedding.count) }
            // A NaN vector would be stored, served and never found wrong: the index never holds one.
            guard firstNonFinite(s.embedding) == nil, firstNonFinite(s.promptTokens) == nil else {
                throw IndexError.nonFiniteVector(path: video.path, start: s.segment.start)
            }
            // No prompt tokens is allowed: such a segment is ranked by its first-stage score.
            guard s.promptTokens.isEmpty || s.promptTokens.count == model.dimension * model.promptTokens else {
                throw IndexError.dimensionMismatch(expected: model.dimension * model.promptTokens, found: s.promptTokens.count)
            }
        }
        let encodedPrompts = segments.map { $0.promptTokens.isEmpty ? [] : PromptTokenCodec.encode($0.promptTokens, tokens: model.promptTokens) }
        let (stored, newMeta) = try environment.write { txn -> (VideoRecord, IndexMeta) in
            var meta = try Self.currentMeta(txn, fallback: self.meta)
            var record = video
            if let oldId = try txn.get(Key.path(video.path), in: "paths"), let old = try Self.video(oldId, txn) {
                try Self.delete(old, txn)
            }
            record.id = meta.nextVideoId
            meta.nextVideoId += 1
            record.segmentIds = []
            record.subtitles = subtitles?.summary
            if let subtitles, !subtitles.isEmpty || !subtitles.sources.isEmpty {
                try txn.put(try JSONEncoder().encode(subtitles).bytes, for: Key.id(record.id), in: "subtitles")
            }
            for (s, prompts) in zip(segments, encodedPrompts) {
                let id = meta.nextSegmentId
                meta.nextSegmentId += 1
                var segment = s.segment
                segment.id = id
                segment.videoId = record.id
                try txn.put(segment.encoded(), for: Key.id(id), in: "segments")
                try txn.put(Self.bytes(s.embedding), for: Key.id(id), in: "vectors")
                if !prompts.isEmpty { try txn.put(prompts, for: Key.id(id), in: "prompts") }
                if !s.thumbnail.isEmpty { try txn.put(s.thumbnail, for: Key.id(id), in: "thumbnails") }
                record.segmentIds.append(id)
            }
            try txn.put(try JSONEncoder().encode(record).bytes, for: Key.id(record.id), in: "videos")
            try txn.put(Key.id(record.id), for: Key.path(record.path), in: "paths")
            if record.status == .indexed, !record.fingerprint.isEmpty {
                try txn.put(Key.id(record.id), for: Key.text(record.fingerprint), in: "fingerprints")
            }
            meta.generation += 1
            try txn.put(try JSONEncoder().encode(meta).bytes, for: Self.metaKey, in: "meta")
            return (record, meta)
        }
        meta = newMeta
        return stored
    }

    /// Replaces a video's subtitles and transcripts (a sidecar added or edited, or a record made
    /// before they were read), its segments and vectors untouched.
    public func setSubtitles(videoId: UInt64, _ subtitles: VideoSubtitles) throws {
        requireWriter()
        meta = try environment.write { txn in
            var meta = try Self.currentMeta(txn, fallback: self.meta)
            guard var record = try Self.video(Key.id(videoId), txn) else { return meta }
            record.subtitles = subtitles.summary
            try txn.delete(Key.id(videoId), in: "subtitles")
            if !subtitles.isEmpty || !subtitles.sources.isEmpty {
                try txn.put(try JSONEncoder().encode(subtitles).bytes, for: Key.id(videoId), in: "subtitles")
            }
            try txn.put(try JSONEncoder().encode(record).bytes, for: Key.id(videoId), in: "videos")
            meta.generation += 1  // the text cache catches up to it
            try txn.put(try JSONEncoder().encode(meta).bytes, for: Self.metaKey, in: "meta")
            return meta
        }
    }

    /// Records a video's creation_time read after it was indexed (older records), nothing encoded again.
    public func setRecorded(videoId: UInt64, recorded: Double?) throws {
        requireWriter()
        meta = try environment.write { txn in
            var meta = try Self.currentMeta(txn, fallback: self.meta)
            guard var record = try Self.video(Key.id(videoId), txn) else { return meta }
            record.recorded = recorded
            record.dateRead = true
            try txn.put(try JSONEncoder().encode(record).bytes, for: Key.id(videoId), in: "videos")
            meta.generation += 1  // searches re-read the videos' dates
            try txn.put(try JSONEncoder().encode(meta).bytes, for: Self.metaKey, in: "meta")
            return meta
        }
    }

    /// Gives an indexed video a new path (a moved or renamed file), keeping its segments.
    public func move(videoId: UInt64, to path: String, size: UInt64, mtime: Double) throws {
        requireWriter()
        meta = try environment.write { txn in
            var meta = try Self.currentMeta(txn, fallback: self.meta)
            guard var record = try Self.video(Key.id(videoId), txn) else { return meta }
            if let other = try txn.get(Key.path(path), in: "paths"), other != Key.id(videoId), let old = try Self.video(other, txn) {
                try Self.delete(old, txn)
            }
            try txn.delete(Key.path(record.path), in: "paths")
            record.path = path
            record.size = size
            record.mtime = mtime
            try txn.put(try JSONEncoder().encode(record).bytes, for: Key.id(videoId), in: "videos")
            try txn.put(Key.id(videoId), for: Key.path(path), in: "paths")
            meta.generation += 1
            try txn.put(try JSONEncoder().encode(meta).bytes, for: Self.metaKey, in: "meta")
            return meta
        }
    }

    /// Removes the video at `path` and its segments; returns whether there was one.
    @discardableResult
    public func remove(path: String) throws -> Bool {
        requireWriter()
        var removed = false
        meta = try environment.write { txn in
            var meta = try Self.currentMeta(txn, fallback: self.meta)
            guard let id = try txn.get(Key.path(path), in: "paths"), let record = try Self.video(id, txn) else { return meta }
            try Self.delete(record, txn)
            removed = true
            meta.generation += 1
            try txn.put(try JSONEncoder().encode(meta).bytes, for: Self.metaKey, in: "meta")
            return meta
        }
        return removed
    }

    private static func currentMeta(_ txn: LMDBTransaction, fallback: IndexMeta) throws -> IndexMeta {
        guard let bytes = try txn.get(metaKey, in: "meta") else { return fallback }
        return (try? JSONDecoder().decode(IndexMeta.self, from: Data(bytes))) ?? fallback
    }

    /// Deletes a video's every record inside a transaction.
    private static func delete(_ record: VideoRecord, _ txn: LMDBTransaction) throws {
        for id in record.segmentIds {
            for db in ["segments", "vectors", "prompts", "thumbnails"] { try txn.delete(Key.id(id), in: db) }
        }
        try txn.delete(Key.id(record.id), in: "videos")
        try txn.delete(Key.id(record.id), in: "subtitles")
        if let owner = try txn.get(Key.path(record.path), in: "paths"), owner == Key.id(record.id) {
            try txn.delete(Key.path(record.path), in: "paths")
        }
        if let owner = try txn.get(Key.text(record.fingerprint), in: "fingerprints"), owner == Key.id(record.id) {
            try txn.delete(Key.text(record.fingerprint), in: "fingerprints")
        }
    }
}

extension Data {
    var bytes: [UInt8] { [UInt8](self) }
}
