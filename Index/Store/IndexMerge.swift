import Foundation

/// Imports the videos of other indexes (shards made on other machines, or an index from a
/// second laptop) into one, each video in its own transaction and exactly once:
/// - a video already held with the same path and content (fingerprint) is skipped, so an
///   interrupted merge run again does only the rest;
/// - the same path with other content is replaced by the newer (modification time) of the two;
/// - the same content under another path is a moved file when the held path no longer exists
///   (one copy, under the shard's path), and a second file otherwise;
/// - everything else is copied: segment records, vectors, prompt tokens, thumbnails, subtitles. Nothing is
///   encoded again.
/// A shard of another model is refused before anything is written. The FAISS cache is left to the
/// caller, to be rebuilt once at the end.
public struct IndexMerge {
    public enum Outcome: String { case added, replaced, moved, skipped, kept }

    public struct Result {
        public let shard: String
        public let path: String
        public var outcome: Outcome
        public var segments = 0
    }

    public let store: IndexStore

    public init(into store: IndexStore) { self.store = store }

    /// Checks that `shard` holds vectors of the target's model.
    public func check(_ shard: IndexStore) throws {
        guard store.model.matches(shard.model) else {
            throw IndexError.wrongModel(index: shard.directory.path, indexModel: shard.model.description, model: store.model.description)
        }
    }

    /// Each video's outcome is reported once it is done: a write that fails throws, and reports
    /// nothing (a deferred report once called it added).
    public func merge(_ shard: IndexStore, progress: (Result) -> Void) throws {
        try check(shard)
        for video in try shard.videos().sorted(by: { $0.id < $1.id }) where video.status == .indexed {
            let outcome = try merge(video, from: shard)
            progress(Result(shard: shard.directory.path, path: video.path, outcome: outcome, segments: video.segmentIds.count))
        }
    }

    private func merge(_ video: VideoRecord, from shard: IndexStore) throws -> Outcome {
        let outcome: Outcome
        if let held = try store.video(path: video.path) {
            if held.fingerprint == video.fingerprint { return .skipped }  // merged before
            if held.mtime > video.mtime { return .kept }  // the index's copy is newer
            outcome = .replaced
        } else if let twin = try store.video(fingerprint: video.fingerprint), twin.status == .indexed,
            !FileManager.default.fileExists(atPath: twin.path)
        {
            try store.move(videoId: twin.id, to: video.path, size: video.size, mtime: video.mtime)
            return .moved
        } else {
            outcome = .added
        }
        guard let segments = try shard.encodedSegments(of: video) else {
            throw IndexError.corrupt(path: shard.directory.path, reason: "video \(video.path) lacks some of its segment records")
        }
        var record = video
        record.segmentIds = []
        // The shard's text comes along (a record without any keeps its nil summary: read next run).
        let subtitles = video.subtitles == nil ? nil : try shard.subtitles(videoId: video.id) ?? VideoSubtitles()
        try store.put(video: record, segments: segments, subtitles: subtitles)
        return outcome
    }
}
