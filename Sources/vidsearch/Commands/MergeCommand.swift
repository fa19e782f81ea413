import ArgumentParser
import CommandSupport
import Foundation
import Ingest
import VideoIndex

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Import other indexes (shards) into this one, each video exactly once.",
        discussion: """
            Each video is copied in its own transaction with its segments, vectors, prompt tokens and \
            thumbnails (nothing is encoded again). A video already held with the same path and content \
            is skipped, so an interrupted merge can simply be run again; the same path with new \
            content is replaced by the newer of the two; a moved file (same content, and the old path \
            gone) keeps one copy. A shard of another model is refused before anything is written. \
            The vector cache is rebuilt once at the end.

            Exit status: 0 merged, 3 index error (missing, locked, damaged, another model).

            Examples:
              vidsearch merge /mnt/node1/shard /mnt/node2/shard --index /data/archive-index
              vidsearch merge ~/laptop-index --json
            """
    )

    @Option(help: "The index to merge into (created if needed). Default: $VIDSEARCH_INDEX or ~/.local/share/vidsearch/index.")
    var index: String?

    @Argument(help: "Index folders to import.")
    var shards: [String]

    @Flag(help: "One JSON line per video, then a summary.")
    var json = false

    func run() throws {
        let target = Defaults.indexDirectory(index)
        var counts: [IndexMerge.Outcome: Int] = [:]
        try withIndexOrModel {
            // Every shard is opened and checked against the first (and the target) before anything is written.
            let readers = try shards.map { try IndexStore(readingAt: URL(fileURLWithPath: $0)) }
            guard let first = readers.first else { return }
            let store = try IndexStore(writingAt: target, model: first.model)
            let merge = IndexMerge(into: store)
            for reader in readers { try merge.check(reader) }
            for reader in readers {
                try merge.merge(reader) { result in
                    counts[result.outcome, default: 0] += 1
                    if json {
                        Output.line(MergeEvent(result))
                    } else if result.outcome != .skipped {
                        FileHandle.standardError.write(
                            Data("\(Formatting.pad(result.outcome.rawValue, 8)) \(result.path) (\(result.segments) segments)\n".utf8))
                    }
                }
            }
            try IndexCaches.save(store, rebuildVectors: true)
        }
        let summary = IndexMerge.Outcome.allCasesInOrder.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        if json {
            Output.line(MergeSummary(counts))
        } else {
            FileHandle.standardError.write(Data("merged \(shards.count) index(es) into \(target.path): \(summary)\n".utf8))
        }
    }
}

extension IndexMerge.Outcome {
    static let allCasesInOrder: [IndexMerge.Outcome] = [.added, .replaced, .moved, .kept, .skipped]
}
