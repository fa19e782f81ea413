import Foundation
import Tensor

/// Reads, each in one LMDB read transaction: a snapshot that a writer committing meanwhile does not change.
extension IndexStore {
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
    /// the whole record several times slower to decode, once per hit (a whole query's time:
    /// BENCHMARKS.md, `query.whole.10k.p50`).
    public func lookup(_ ids: [Int64]) throws -> [Int64: (segment: SegmentRecord, path: String)] {
        struct VideoPath: Decodable {
            let id: UInt64
            let path: String
        }
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
                let prompted =
                    try txn.withValue(Key.id(id), in: "prompts") {
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
                    let vector = try txn.get(Key.id(id), in: "vectors")
                else { return nil }
                var tokens: [Float] = []
                if let encoded = try txn.get(Key.id(id), in: "prompts") {
                    tokens = [Float](repeating: 0, count: count * width)
                    let ok = tokens.withUnsafeMutableBufferPointer {
                        PromptTokenCodec.decode(encoded, into: $0.baseAddress!, tokens: count, width: width)
                    }
                    if !ok { return nil }
                }
                out.append(
                    EncodedSegment(
                        segment: segment, embedding: Self.floats(vector), promptTokens: tokens,
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
}
