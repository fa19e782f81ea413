import ArgumentParser
import CommandSupport
import Foundation
import Ingest
import VideoIndex

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Add videos (files or folders, recursively) to the index.",
        discussion: """
            New files are encoded, unchanged ones skipped, changed ones re-encoded, and a moved or \
            renamed file is recognized by its content and keeps its segments. Each video is committed \
            on its own: an interrupted run keeps what it finished, and running it again does the rest. \
            A file that cannot be read is reported with the reason; the others go on.

            Exit status: 0 all files indexed or unchanged, 1 some files failed or were indexed only in \
            part (cut short: shorter than their header says), 3 index or model error.

            Examples:
              vidsearch index ~/footage
              vidsearch index clip1.mp4 clip2.mkv --index /data/archive-index
              vidsearch index ~/footage --ext mp4,mov --segment-length 6 --json
              vidsearch index ~/footage --dry-run --json     # what would be encoded, nothing written
              vidsearch index ~/footage --no-cuts            # fixed 4 s windows, no cut detection
            """
    )

    @OptionGroup var options: IndexOptions

    @OptionGroup var products: PrecisionOption

    @Argument(help: "Video files or folders.")
    var paths: [String] = []

    @Option(help: "Also read files or folders from this file, one path per line (- for standard input).")
    var filesFrom: String?

    @Option(help: "Extensions taken from folders, comma separated (files named directly are always taken).")
    var ext: String?

    @Option(help: "Segment length in seconds.")
    var segmentLength: Double = 4

    @Option(help: "Seconds between segment starts (less than the length: overlapping segments).")
    var segmentStride: Double?

    @Flag(
        help:
            "Fixed windows from the video's start, which may straddle a cut. By default cuts are found while decoding and every segment stays inside one shot (a shot shorter than the segment length is one shorter segment)."
    )
    var noCuts = false

    @Option(help: "Decoding threads per file (0: one below 1080p, two from 1080p on; one each while two files are decoded side by side).")
    var decodeThreads: Int = 0

    @Option(
        help:
            "on: frames decoded far from a sampled one skip the loop filter (embeddings within cosine 0.999 of exact; no reliable gain measured on H.264 at 720p and 1080p, BENCHMARKS.md, ingest); off: exact decoding."
    )
    var fastDecode: FastDecode = .off

    @Option(help: "FAISS factory string to force the vector index type (e.g. \"HNSW32,Flat\").")
    var faiss: String?

    @Flag(help: "One JSON line per finished file on standard output.")
    var json = false

    @Flag(help: "Only say what would be done with each file (encode, skip, move), with its duration; write nothing, load no model.")
    var dryRun = false

    func validate() throws {
        if paths.isEmpty && filesFrom == nil { throw ValidationError("Name at least one video file or folder (or --files-from).") }
        try Limits.check(segmentLength, "--segment-length", Limits.segmentSeconds)
        if let segmentStride { try Limits.check(segmentStride, "--segment-stride", Limits.segmentSeconds) }
        try Limits.check(decodeThreads, "--decode-threads", 0...64)
    }

    func run() throws {
        products.apply()
        let extensions =
            ext.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }) }
            ?? FileWalker.videoExtensions
        let (files, rejected) = FileWalker.expand(paths + (try listedPaths()), extensions: extensions)
        if dryRun { return try plan(files: files, rejected: rejected) }
        let (run, store) = try withIndexOrModel { () -> (IndexRun, IndexStore) in
            let loaded = try LoadedModel(options.model)
            let store = try IndexStore(writingAt: options.indexDirectory, model: loaded.identity, faissFactory: faiss)
            let segments = SegmentOptions(
                length: segmentLength, stride: segmentStride ?? segmentLength,
                skipLoopFilter: fastDecode == .on, decoderThreads: decodeThreads, detectCuts: !noCuts)
            let pipeline = try IngestPipeline(
                model: loaded.model, preprocessor: try loaded.preprocessor(),
                options: .init(segments: segments))
            return (IndexRun(store: store, pipeline: pipeline), store)
        }
        var failed = rejected.count
        for r in rejected { report(IndexRun.FileResult(path: r.path, outcome: .failed, detail: r.reason)) }

        let progress = Progress(totalFiles: files.count, enabled: !json)
        var secondsPerSegment: [String: Double] = [:]
        let results = try withIndexOrModel {
            try run.run(files: files) { event in
                switch event {
                case .started(let path, let segments, let duration):
                    progress.expect(seconds: duration)
                    secondsPerSegment[path] = segments > 0 ? duration / Double(segments) : 0
                case .encoded(let path, let count):
                    progress.encoded(segments: count, seconds: Double(count) * (secondsPerSegment[path] ?? 0))
                case .file(let result):
                    progress.fileDone()
                    if json { report(result) } else { progress.line(line(result)) }
                }
            }
        }
        progress.finish()
        failed += results.filter { $0.outcome == .failed }.count
        let partial = results.filter(\.partial).count

        // Bring the vector cache up to date and write it once, atomically. Every video is in
        // LMDB by now: a cache that cannot be written (a full disk) is rebuilt on the next open,
        // so the run's status is what happened to its inputs, not exit 3.
        var notice: String?
        do {
            let notices = try IndexCaches.save(store)
            notice = notices.isEmpty ? nil : notices.joined(separator: "; ")
        } catch {
            notice =
                "the vector or text cache could not be written (\(error)); every video reported as indexed is committed "
                + "in LMDB, and the cache is rebuilt from it on the next open"
        }
        if let notice, !json { FileHandle.standardError.write(Data("vidsearch: \(notice)\n".utf8)) }
        let counts = try withIndexOrModel { try store.counts() }
        let summary = Dictionary(grouping: results, by: \.outcome).mapValues(\.count)
        if json {
            Output.line(
                RunSummary(
                    indexed: summary[.indexed] ?? 0, skipped: summary[.skipped] ?? 0, moved: summary[.moved] ?? 0,
                    failed: failed, videos: counts.videos, segments: counts.segments))
        } else {
            FileHandle.standardError.write(
                Data(
                    ("\(summary[.indexed] ?? 0) indexed, \(summary[.skipped] ?? 0) unchanged, "
                        + "\(summary[.moved] ?? 0) moved, \(failed) failed; the index holds \(counts.videos) videos, \(counts.segments) segments\n")
                        .utf8))
        }
        if failed > 0 || partial > 0 { throw ExitCodes.someFailed }
    }

    /// The lines of `--files-from` (empty ones skipped): long lists do not fit on a command line.
    private func listedPaths() throws -> [String] {
        guard let filesFrom else { return [] }
        let data: Data
        if filesFrom == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do { data = try Data(contentsOf: URL(fileURLWithPath: filesFrom)) } catch {
                Output.error("cannot read the list \(filesFrom): \((error as NSError).localizedDescription)")
                throw ExitCodes.usage
            }
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// `--dry-run`: the decisions of `IndexPlan`, from the index as it is (none yet: all new).
    private func plan(files: [String], rejected: [FileWalker.Rejected]) throws {
        let store = try withIndexOrModel { () -> IndexStore? in
            FileManager.default.fileExists(atPath: options.indexDirectory.path) ? try IndexStore(readingAt: options.indexDirectory) : nil
        }
        var counts: [String: Int] = [:]
        var seconds = 0.0
        func say(_ path: String, _ action: String, _ duration: Double?, _ note: (String, String)? = nil) {
            counts[action, default: 0] += 1
            if json {
                Output.line(
                    PlanEvent(
                        path: path, action: action, duration: duration, error: note?.0 == "error" ? note?.1 : nil,
                        from: note?.0 == "from" ? note?.1 : nil, detail: note?.0 == "detail" ? note?.1 : nil))
            } else {
                let time = duration.map { " (\(Formatting.time($0)))" } ?? ""
                FileHandle.standardError.write(Data("\(Formatting.pad(action, 7)) \(path)\(time)\(note.map { ": \($0.1)" } ?? "")\n".utf8))
            }
        }
        for r in rejected { say(r.path, "fail", nil, ("error", r.reason)) }
        for path in files {
            switch try withIndexOrModel({ try IndexPlan.decide(path: path, store: store, detectCuts: !noCuts) }) {
            case .skip(let result, _): say(path, "skip", result.duration)
            case .fail(let result): say(path, "fail", nil, ("error", result.detail ?? "unreadable"))
            case .move(let twin, _, _): say(path, "move", twin.duration, ("from", twin.path))
            case .encode(_, _, _, let replacing):
                // The header's duration is enough to share out work; a file FFmpeg cannot open is
                // still "encode": the real run reports it, with its reason, like any other failure.
                let duration = try? VideoDecoder(path: path).info.duration
                seconds += duration ?? 0
                say(path, "encode", duration, replacing ? ("detail", "changed") : nil)
            }
        }
        let summary =
            "\(counts["encode"] ?? 0) to encode (\(Formatting.time(seconds)) of video), \(counts["skip"] ?? 0) unchanged, "
            + "\(counts["move"] ?? 0) moved, \(counts["fail"] ?? 0) unreadable; nothing was written"
        if json {
            Output.line(
                PlanSummary(
                    encode: counts["encode"] ?? 0, skip: counts["skip"] ?? 0, move: counts["move"] ?? 0,
                    fail: counts["fail"] ?? 0, seconds: seconds))
        } else {
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if (counts["fail"] ?? 0) > 0 { throw ExitCodes.someFailed }
    }

    private func line(_ result: IndexRun.FileResult) -> String {
        switch result.outcome {
        case .indexed:
            return "indexed  \(result.path) (\(result.segments) segments, \(Formatting.time(result.duration)))"
                + (result.detail.map { ": \($0)" } ?? "")
        case .skipped: return "unchanged \(result.path)"
        case .moved: return "moved    \(result.path) (\(result.detail ?? ""))"
        case .failed: return "FAILED   \(result.path): \(result.detail ?? "unknown error")"
        }
    }

    private func report(_ result: IndexRun.FileResult) {
        if json {
            Output.line(FileEvent(result))
        } else {
            FileHandle.standardError.write(Data((line(result) + "\n").utf8))
        }
    }
}

/// `--fast-decode on|off`.
enum FastDecode: String, ExpressibleByArgument { case on, off }
