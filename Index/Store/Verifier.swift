import Foundation
import Tensor

/// Checks every invariant of an index and lists each broken one.
public enum Verifier {
    public struct Report {
        public var problems: [String] = []
        public var notes: [String] = []
        public var videos = 0
        public var segments = 0
        /// Indexed videos by the precision their vectors were made in ("f32", "bf16").
        public var precisions: [String: Int] = [:]
        public var ok: Bool { problems.isEmpty }
    }

    public static func verify(_ store: IndexStore, model: ModelIdentity? = nil) throws -> Report {
        var report = Report()
        let meta = store.meta
        if let model, !model.matches(meta.model) {
            report.problems.append("model: index built with \(meta.model.description), given \(model.description)")
        }
        let width = meta.model.dimension, tokens = meta.model.promptTokens
        try store.environment.read { txn in
            var videoSegments: [Int64: UInt64] = [:]
            var videoIds = Set<UInt64>()
            try txn.forEach(in: "videos") { key, value in
                guard let id = Key.decodeId(key, as: UInt64.self),
                    let video = try? JSONDecoder().decode(VideoRecord.self, from: Data(value))
                else {
                    report.problems.append("videos: unreadable record under key \(key)")
                    return true
                }
                report.videos += 1
                if video.status == .indexed { report.precisions[video.vectorPrecision, default: 0] += 1 }
                videoIds.insert(id)
                if video.id != id { report.problems.append("video \(id): record says id \(video.id)") }
                if try txn.get(Key.path(video.path), in: "paths") != Key.id(id) {
                    report.problems.append("video \(id): path \(video.path) does not map back to it")
                }
                if id >= meta.nextVideoId { report.problems.append("video \(id): id not below the counter \(meta.nextVideoId)") }
                for s in video.segmentIds {
                    if let other = videoSegments[s] { report.problems.append("segment \(s): listed by videos \(other) and \(id)") }
                    videoSegments[s] = id
                }
                return true
            }
            try txn.forEach(in: "paths") { key, value in
                if let id = Key.decodeId(value, as: UInt64.self), !videoIds.contains(id) {
                    report.problems.append("paths: \(String(decoding: key, as: UTF8.self)) points to missing video \(id)")
                }
                return true
            }
            try txn.forEach(in: "fingerprints") { key, value in
                if let id = Key.decodeId(value, as: UInt64.self), !videoIds.contains(id) {
                    report.problems.append("fingerprints: \(String(decoding: key, as: UTF8.self)) points to missing video \(id)")
                }
                return true
            }
            var segmentIds = Set<Int64>()
            try txn.forEach(in: "segments") { key, value in
                guard let id = Key.decodeId(key, as: Int64.self), let segment = SegmentRecord(id: id, encoded: value) else {
                    report.problems.append("segments: unreadable record")
                    return true
                }
                report.segments += 1
                segmentIds.insert(id)
                if videoSegments[id] != segment.videoId {
                    report.problems.append("segment \(id): belongs to video \(segment.videoId), which does not list it")
                }
                if id >= meta.nextSegmentId { report.problems.append("segment \(id): id not below the counter \(meta.nextSegmentId)") }
                if !(segment.start <= segment.end) { report.problems.append("segment \(id): start \(segment.start) after end \(segment.end)") }
                guard let vector = try txn.get(key, in: "vectors") else {
                    report.problems.append("segment \(id): no vector")
                    return true
                }
                if vector.count != width * 4 { report.problems.append("segment \(id): vector of \(vector.count / 4) floats, expected \(width)") }
                if let i = firstNonFinite(IndexStore.floats(vector)) {
                    report.problems.append("segment \(id): vector value \(i) is not finite (a damaged model or record)")
                }
                // A segment may be stored without prompt tokens (it is then ranked by its first-stage score).
                guard let prompts = try txn.get(key, in: "prompts") else { return true }
                if prompts.count != 4 + tokens * 4 + tokens * width {
                    report.problems.append("segment \(id): prompt tokens of \(prompts.count) bytes, expected \(4 + tokens * 4 + tokens * width)")
                }
                return true
            }
            for s in videoSegments.keys where !segmentIds.contains(s) {
                report.problems.append("segment \(s): listed by video \(videoSegments[s]!) but missing")
            }
            for db in ["vectors", "prompts", "thumbnails"] {
                try txn.forEach(in: db) { key, _ in
                    if let id = Key.decodeId(key, as: Int64.self), !segmentIds.contains(id) {
                        report.problems.append("\(db): orphan record for missing segment \(id)")
                    }
                    return true
                }
            }
            try verifyVectors(store, segmentIds: segmentIds, report: &report)
            try verifyText(store, txn: txn, videoIds: videoIds, report: &report)
            if report.precisions.count > 1 {
                let counts = report.precisions.sorted { $0.key < $1.key }.map { "\($0.value) in \($0.key)" }.joined(separator: ", ")
                report.notes.append("vectors of mixed precision (\(counts) videos): allowed, the two agree within cosine 0.999")
            }
        }
        return report
    }

    /// Up to 500 segments spread over the index, each searched with LMDB's own vector: FAISS
    /// must hold that vector under that id (its own best match, cosine 1).
    private static func compareSample(_ index: FaissIndex, store: IndexStore, report: inout Report) throws {
        let total = try store.counts().segments
        guard total > 0 else { return }
        let every = max(1, total / 500)
        var position = 0, wrong: [Int64] = []
        try store.forEachVector { id, vector in
            defer { position += 1 }
            guard position % every == 0 else { return }
            let query = VectorCache.normalized(vector)
            var hits = try index.search(query, k: 10)[0]
            // More exact copies of this vector than one search returns (a looped or static
            // video): ask for enough hits to hold every tie.
            var k = 10
            while !hits.contains(where: { $0.id == id }), hits.count == k, let last = hits.last, last.score.isFinite,
                abs(last.score - 1) < 1e-3, k < total
            {
                k = min(total, k * 8)
                hits = try index.search(query, k: k)[0]
            }
            guard let hit = hits.first(where: { $0.id == id }), hit.score.isFinite, abs(hit.score - 1) < 1e-3 else {
                wrong.append(id)
                return
            }
        }
        if !wrong.isEmpty {
            report.problems.append("vector cache: \(wrong.count) of the sampled segments are not held as LMDB has them, e.g. \(wrong.prefix(5))")
        }
    }

    /// The FAISS file: readable, of the index's dimension, never ahead of LMDB, and equal to
    /// LMDB's segments when it claims LMDB's generation. A file behind LMDB is normal after an
    /// interrupted run; it is caught up on the next open.
    private static func verifyVectors(_ store: IndexStore, segmentIds: Set<Int64>, report: inout Report) throws {
        let (file, generation) = VectorCache.newestFile(in: store.directory)
        guard let file else {
            if !segmentIds.isEmpty { report.notes.append("no vector cache file yet: it is built on the next open") }
            return
        }
        // The stamp first: FAISS's reader trusts the file's header, and a damaged count made it
        // allocate until the kernel killed the process. A file that fails its stamp is not read.
        guard let stamp = CacheStamp.read(VectorCache.files.stampURL(in: store.directory, generation: generation)) else {
            report.problems.append("vector cache \(file.lastPathComponent): no stamp; the next index run rebuilds it from LMDB")
            return
        }
        if let problem = stamp.problem(file: file, index: store.meta.indexId) {
            report.problems.append("vector cache \(file.lastPathComponent): \(problem); the next index run rebuilds it from LMDB")
            return
        }
        let index: FaissIndex
        do { index = try FaissIndex(contentsOf: file.path) } catch {
            report.problems.append("vector cache \(file.lastPathComponent): unreadable (\(error))")
            return
        }
        if index.dimension != store.model.dimension {
            report.problems.append("vector cache: dimension \(index.dimension), index holds \(store.model.dimension)")
        }
        if generation > store.meta.generation {
            report.problems.append("vector cache: generation \(generation) is ahead of the index's \(store.meta.generation)")
        } else if generation == store.meta.generation {
            try compareSample(index, store: store, report: &report)
            let held = Set(try index.ids())
            let tombstones = VectorCache.readTombstones(store.directory, generation)
            let extra = held.subtracting(segmentIds).subtracting(tombstones), missing = segmentIds.subtracting(held)
            if !tombstones.isEmpty {
                report.notes.append("vector cache: \(tombstones.count) removed ids kept as tombstones (filtered at query time)")
            }
            if !tombstones.isSubset(of: held) { report.problems.append("vector cache: tombstones name ids the FAISS file does not hold") }
            if !extra.isEmpty { report.problems.append("vector cache: \(extra.count) ids without a segment, e.g. \(extra.sorted().prefix(5))") }
            if !missing.isEmpty {
                report.problems.append("vector cache: \(missing.count) segments without a vector, e.g. \(missing.sorted().prefix(5))")
            }
        } else {
            report.notes.append("vector cache at generation \(generation), index at \(store.meta.generation): caught up on the next open")
        }
    }

    /// The subtitles: every video's stored cues agree with its record's summary (count and
    /// digest), none belong to a missing video; and the text cache, like the vector cache, is
    /// stamped for this index and, at LMDB's generation, holds every cue.
    private static func verifyText(_ store: IndexStore, txn: LMDBTransaction, videoIds: Set<UInt64>, report: inout Report) throws {
        var cues = 0
        try txn.forEach(in: "subtitles") { key, value in
            guard let id = Key.decodeId(key, as: UInt64.self), videoIds.contains(id) else {
                report.problems.append("subtitles: stored under key \(key) for no video")
                return true
            }
            guard let subtitles = try? JSONDecoder().decode(VideoSubtitles.self, from: Data(value)) else {
                report.problems.append("video \(id): subtitles unreadable")
                return true
            }
            if let video = try IndexStore.video(key, txn), video.subtitles != subtitles.summary {
                report.problems.append("video \(id): stored subtitles (\(subtitles.cues.count) cues) disagree with its record's summary")
            }
            cues += subtitles.cues.count
            return true
        }
        let (file, generation) = TextCache.newestFile(in: store.directory)
        guard let file else {
            if cues > 0 { report.notes.append("no text cache file yet: it is built on the next open") }
            return
        }
        guard let stamp = CacheStamp.read(TextCache.stampURL(in: store.directory, generation: generation)) else {
            report.problems.append("text cache \(file.lastPathComponent): no stamp; the next index run rebuilds it from LMDB")
            return
        }
        if let problem = stamp.problem(file: file, index: store.meta.indexId) {
            report.problems.append("text cache \(file.lastPathComponent): \(problem); the next index run rebuilds it from LMDB")
            return
        }
        if generation > store.meta.generation {
            report.problems.append("text cache: generation \(generation) is ahead of the index's \(store.meta.generation)")
        } else if generation == store.meta.generation {
            let held = try TextCache.open(store).count()
            if held != cues { report.problems.append("text cache: \(held) cues, LMDB holds \(cues)") }
        } else {
            report.notes.append("text cache at generation \(generation), index at \(store.meta.generation): caught up on the next open")
        }
    }
}
