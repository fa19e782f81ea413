import Foundation
import Tensor

/// Writes, each call one write transaction (a video's records change together or not at all);
/// only an index opened with `init(writingAt:)` may call them.
extension IndexStore {
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
            guard s.embedding.count == model.dimension else {
                throw IndexError.dimensionMismatch(expected: model.dimension, found: s.embedding.count)
            }
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
