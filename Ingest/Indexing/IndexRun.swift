import Foundation
import Tensor
import VideoIndex

/// One `vidsearch index` run over a list of files, incremental: unchanged files (same path,
/// size and modification time) are skipped, a moved or renamed file is recognized by its
/// fingerprint and keeps its segments, new and changed files are encoded. Each video is
/// committed in its own transaction as soon as it is encoded, so an interrupted run keeps
/// every finished video and a re-run finishes the rest. A video's subtitles and transcripts
/// (SubtitleReader) are stored with it; an unchanged video whose sidecar files changed, or
/// that was indexed before they were read, has only its text read again.
public final class IndexRun {
    public enum Outcome: String { case indexed, skipped, moved, failed }

    public struct FileResult {
        public let path: String
        public let outcome: Outcome
        public var segments = 0
        public var duration = 0.0
        public var detail: String?
        /// Indexed, but not all of it: the file is shorter than its header says (exit status 1).
        public var partial = false
        /// Subtitle and transcript cues stored for it in this run (nil: its text was not read).
        public var cues: Int?

        public init(path: String, outcome: Outcome, segments: Int = 0, duration: Double = 0, detail: String? = nil) {
            self.path = path
            self.outcome = outcome
            self.segments = segments
            self.duration = duration
            self.detail = detail
        }
    }

    public enum Event {
        /// A file is about to be encoded.
        case started(path: String, segments: Int, duration: Double)
        case encoded(path: String, count: Int)
        case file(FileResult)
    }

    public let store: IndexStore
    public let pipeline: IngestPipeline

    public init(store: IndexStore, pipeline: IngestPipeline) {
        self.store = store
        self.pipeline = pipeline
    }

    /// Processes `files`; `progress` sees every event on the calling thread.
    public func run(files: [String], progress: (Event) -> Void) throws -> [FileResult] {
        var results: [FileResult] = []
        var toEncode: [String] = []
        var stats: [String: (size: UInt64, mtime: Double, fingerprint: String)] = [:]
        for path in files {
            switch try IndexPlan.decide(path: path, store: store, detectCuts: pipeline.options.segments.detectCuts) {
            case .skip(let result, let known):
                try readDateIfMissing(known)
                var result = result
                if let cues = try readTextIfChanged(known) {
                    result.cues = cues
                    result.detail = "unchanged; subtitles read again (\(cues) cue\(cues == 1 ? "" : "s"))"
                }
                results.append(result)
                progress(.file(result))
            case .fail(let result):
                results.append(result)
                progress(.file(result))
            case .move(let twin, let size, let mtime):
                try store.move(videoId: twin.id, to: path, size: size, mtime: mtime)
                var result = FileResult(
                    path: path, outcome: .moved, segments: twin.segmentIds.count, duration: twin.duration, detail: "from \(twin.path)")
                if let moved = try store.video(id: twin.id) { result.cues = try readTextIfChanged(moved) }
                results.append(result)
                progress(.file(result))
            case .encode(let size, let mtime, let fingerprint, _):
                stats[path] = (size, mtime, fingerprint)
                toEncode.append(path)
            }
        }

        try pipeline.run(paths: toEncode) { event in
            switch event {
            case .started(let path, let info, let segments):
                progress(.started(path: path, segments: segments, duration: info.duration))
            case .encoded(let path, let count):
                progress(.encoded(path: path, count: count))
            case .finished(let video):
                let s = stats[video.path]!
                if let bad = video.segments.first(where: { firstNonFinite($0.embedding) != nil || firstNonFinite($0.promptTokens) != nil }) {
                    let result = FileResult(
                        path: video.path, outcome: .failed,
                        detail: "\(IndexError.nonFiniteVector(path: video.path, start: bad.segment.start))")
                    results.append(result)
                    progress(.file(result))
                    return
                }
                let record = VideoRecord(
                    path: video.path, fingerprint: s.fingerprint, size: s.size, mtime: s.mtime,
                    duration: video.segments.last?.segment.end ?? video.info.duration,
                    width: video.info.width, height: video.info.height, codec: video.info.codec,
                    frameRate: video.info.frameRate, rotation: video.info.rotation,
                    recorded: video.info.creationTime, dateRead: true,
                    precision: video.precision, cuts: video.cuts)
                let subtitles = SubtitleReader.read(video: video.path)
                let stored = try store.put(video: record, segments: video.segments, subtitles: subtitles)
                let warnings = video.warnings + SubtitleReader.notes(subtitles)
                var result = FileResult(
                    path: video.path, outcome: .indexed, segments: stored.segmentIds.count,
                    duration: record.duration, detail: warnings.isEmpty ? nil : warnings.joined(separator: "; "))
                result.partial = video.partial
                result.cues = subtitles.cues.count
                results.append(result)
                progress(.file(result))
            case .failed(let error):
                let result = FileResult(path: error.path, outcome: .failed, detail: error.reason)
                results.append(result)
                progress(.file(result))
            }
        }
        return results
    }

    /// An unchanged video whose text may have changed: read before subtitles were kept (every
    /// source is read), or with sidecar files added, removed or edited since (only the sidecars
    /// are read again; the streams' stored cues stay). Returns the cues stored, nil when nothing changed.
    private func readTextIfChanged(_ known: VideoRecord) throws -> Int? {
        let summary = known.subtitles
        if let summary, summary.sidecars == SubtitleReader.sidecarStamps(video: known.path) { return nil }
        let stored = summary == nil ? nil : try store.subtitles(videoId: known.id)
        let subtitles = SubtitleReader.read(video: known.path, streams: summary == nil, keeping: stored ?? VideoSubtitles())
        try store.setSubtitles(videoId: known.id, subtitles)
        return subtitles.cues.count
    }

    /// An unchanged video indexed before dates were kept: its container's creation_time is read
    /// once from the header (milliseconds), so date filters see it without encoding anything.
    private func readDateIfMissing(_ known: VideoRecord) throws {
        guard known.dateRead == nil else { return }
        let recorded = (try? VideoDecoder(path: known.path))?.info.creationTime
        try store.setRecorded(videoId: known.id, recorded: recorded)
    }
}
