import ArgumentParser
import CommandSupport
import Foundation
import VideoIndex

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print every segment (and, with --vectors, its embedding) as JSON lines.",
        discussion: """
            One object per segment, videos in path order, segments in time order: path, start, end, \
            the sampled frame times, and with --vectors the stored video embedding (not normalized), \
            for use outside vidsearch or to compare two indexes.

            Examples:
              vidsearch export > segments.jsonl
              vidsearch export --vectors --index /data/archive-index | jq -c '[.path, .start]'
            """
    )

    @Option(help: "Index directory. Default: $VIDSEARCH_INDEX or ~/.local/share/vidsearch/index.")
    var index: String?

    @Flag(help: "Include each segment's embedding.")
    var vectors = false

    func run() throws {
        try withIndexOrModel {
            let store = try IndexStore(readingAt: Defaults.indexDirectory(index))
            for video in try store.videos().sorted(by: { $0.path < $1.path }) {
                guard let segments = try store.encodedSegments(of: video) else {
                    throw IndexError.corrupt(
                        path: store.directory.path, reason: "a segment of \(video.path) is missing its records (run vidsearch verify)")
                }
                for s in segments.sorted(by: { $0.segment.start < $1.segment.start }) {
                    var object: [String: Any] = [
                        "path": video.path, "start": s.segment.start, "end": s.segment.end,
                        "frames": s.segment.frameTimes,
                    ]
                    if vectors { object["embedding"] = s.embedding.map(Double.init) }
                    Output.json(object)
                }
            }
        }
    }
}
