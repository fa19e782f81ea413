import ArgumentParser
import CommandSupport
import Foundation
import VideoIndex

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove videos (by path) and their segments from the index.",
        discussion: """
            Exit status: 0 all removed, 1 some paths were not in the index, 3 index error.

            Example:
              vidsearch remove ~/footage/old-clip.mp4
            """
    )

    @OptionGroup var options: IndexOptions

    @Argument(help: "Paths of indexed videos (as listed by `vidsearch list`).")
    var paths: [String]

    @Flag(help: "One JSON line per path.")
    var json = false

    func run() throws {
        let outcomes = try withIndexOrModel { () -> [(String, Bool)] in
            let store = try IndexStore(writingAt: options.indexDirectory, model: nil)
            let outcomes = try paths.map { path -> (String, Bool) in
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                return (absolute, try store.remove(path: absolute))
            }
            try IndexCaches.save(store)
            return outcomes
        }
        for (path, removed) in outcomes {
            if json {
                Output.json(["path": path, "removed": removed])
            } else {
                print(removed ? "removed \(path)" : "not in the index: \(path)")
            }
        }
        if outcomes.contains(where: { !$0.1 }) { throw ExitCodes.someFailed }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the indexed videos.",
        discussion: """
            Each video's duration, segments and subtitle lines; with --json also its size, codec, the \
            shot cuts found at ingest ("cuts", seconds; absent where it was indexed with --no-cuts or \
            before cuts were looked for) and its subtitle tracks ("subtitles": each stream or sidecar \
            read, its format, language, a sidecar's text encoding, lines and notes; absent where its text was never read).

            Example:
              vidsearch list --json
            """
    )

    @OptionGroup var options: IndexOptions

    @Flag(help: "One JSON object per video.")
    var json = false

    func run() throws {
        let store = try withIndexOrModel { try IndexStore(readingAt: options.indexDirectory) }
        let videos = try withIndexOrModel { try store.videos() }
        for video in videos.sorted(by: { $0.path < $1.path }) {
            let lines = video.subtitles?.cues ?? 0
            if json {
                var object: [String: Any] = [
                    "path": video.path, "segments": video.segmentIds.count, "duration": video.duration,
                    "width": video.width, "height": video.height, "codec": video.codec, "id": video.id,
                ]
                if let cuts = video.cuts { object["cuts"] = cuts }  // absent: indexed without looking for cuts
                if video.subtitles != nil {  // absent: its text was never read
                    let tracks = try withIndexOrModel { try store.subtitles(videoId: video.id)?.sources ?? [] }
                    object["subtitles"] =
                        [
                            "lines": lines,
                            "tracks": tracks.map { track -> [String: Any] in
                                var entry: [String: Any] = [
                                    "kind": track.kind.rawValue, "name": track.name, "format": track.format,
                                    "lines": track.cues, "notes": track.notes,
                                ]
                                if let language = track.language { entry["language"] = language }
                                if let encoding = track.encoding { entry["encoding"] = encoding }  // a sidecar's text encoding
                                return entry
                            },
                        ] as [String: Any]
                }
                Output.json(object)
            } else {
                let said = lines > 0 ? "  \(lines) subtitle line\(lines == 1 ? "" : "s")" : ""
                print(
                    "\(Formatting.pad(Formatting.time(video.duration), 8)) \(Formatting.pad(String(video.segmentIds.count), 5)) segments  \(video.path)\(said)"
                )
            }
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show what the index holds and what it costs on disk.",
        discussion: """
            Example:
              vidsearch stats --index /data/archive-index
            """
    )

    @OptionGroup var options: IndexOptions

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        let (store, videos, counts) = try withIndexOrModel { () -> (IndexStore, [VideoRecord], (videos: Int, segments: Int)) in
            let store = try IndexStore(readingAt: options.indexDirectory)
            return (store, try store.videos(), try store.counts())
        }
        let bytes = DiskUsage.bytes(under: store.directory)
        let seconds = videos.reduce(0) { $0 + $1.duration }
        let perSegment = counts.segments > 0 ? bytes / counts.segments : 0
        let precisions = videos.filter { $0.status == .indexed }.reduce(into: [String: Int]()) { $0[$1.vectorPrecision, default: 0] += 1 }
        if json {
            Output.json([
                "videos": counts.videos, "segments": counts.segments, "video_seconds": seconds, "bytes": bytes,
                "bytes_per_segment": perSegment, "model": store.model.name, "model_fingerprint": store.model.fingerprint,
                "dimension": store.model.dimension, "generation": store.meta.generation, "precisions": precisions,
            ])
        } else {
            print("index      \(store.directory.path)")
            print("model      \(store.model.description), \(store.model.dimension)-d, \(store.model.promptTokens) prompt tokens")
            print("videos     \(counts.videos) (\(Formatting.time(seconds)) of video)")
            print("segments   \(counts.segments)")
            if !precisions.isEmpty { print("precision  \(VerifyCommand.describe(precisions))") }
            print("disk       \(bytes / 1024) KiB (\(perSegment) bytes per segment)")
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every invariant of the index and list each problem.",
        discussion: """
            Checks that every FAISS id has its segment and the reverse, counts, dimensions, the model \
            fingerprint (with --model), and that no record is orphaned. \
            Exit status: 0 all invariants hold, 1 problems found (each listed), 3 index unreadable.

            Example:
              vidsearch verify --index /data/archive-index
            """
    )

    @Option(help: "Index directory. Default: $VIDSEARCH_INDEX or ~/.local/share/vidsearch/index.")
    var index: String?

    @Option(help: "Also check that the index was built by this model directory.")
    var model: String?

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        let report = try withIndexOrModel { () -> Verifier.Report in
            let store = try IndexStore(readingAt: Defaults.indexDirectory(index))
            let identity = try model.map { try LoadedModel($0).identity }
            return try Verifier.verify(store, model: identity)
        }
        if json {
            Output.json([
                "ok": report.ok, "problems": report.problems, "notes": report.notes,
                "videos": report.videos, "segments": report.segments, "precisions": report.precisions,
            ])
        } else {
            for note in report.notes { print("note: \(note)") }
            if !report.precisions.isEmpty { print("precision: \(Self.describe(report.precisions))") }
            for problem in report.problems { print("problem: \(problem)") }
            print(
                report.ok
                    ? "ok: \(report.videos) videos, \(report.segments) segments, every invariant holds"
                    : "\(report.problems.count) problems")
        }
        if !report.ok { throw ExitCodes.someFailed }
    }

    /// "bf16 (3 videos), f32 (2 videos)": what the indexed videos' vectors were made in.
    static func describe(_ precisions: [String: Int]) -> String {
        precisions.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) video\($0.value == 1 ? "" : "s"))" }.joined(separator: ", ")
    }
}
