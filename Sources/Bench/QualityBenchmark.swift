import CommandSupport
import Foundation
import Ingest
import Query
import VideoIndex
import XCLIP

/// Retrieval quality of a model on the bundled sample clips (Samples/demo-clips, each captioned
/// in its labels.jsonl), through the real path: decode, ingest, LMDB and FAISS, search. For
/// every distinct caption, text->video R@1 and R@5 (a hit is any clip with that caption) and,
/// for left/right and up/down captions, whether the best-ranked clip moving along that axis
/// moves the queried way; each with the video-specific prompt rerank and without it (the first
/// stage alone), which is the prompt generator's share of the ranking.
/// A larger, freshly rendered evaluation (120 classes, held-out combinations) is
/// Benchmarks/eval_demo.py, which needs numpy to render its clips.
public enum QualityBenchmark {
    static let opposite = [
        "moving left": "moving right", "moving right": "moving left",
        "moving up": "moving down", "moving down": "moving up",
    ]

    public static func run(report: Report, model flag: String?) throws {
        guard let clips = Defaults.samplesDirectory() else {
            report.skip("quality", "no Samples/demo-clips beside this binary's checkout")
            return
        }
        let labels = SampleLabels.read(clips)
        let loaded = try LoadedModel(flag)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-quality-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (files, _) = FileWalker.expand([clips.path])
        let run = try TimedIndexRun(files: files, model: loaded, at: directory)
        let (store, results, elapsed) = (run.store, run.results, run.seconds)
        let indexed = results.filter { $0.outcome == .indexed }.count
        let seconds = results.filter { $0.outcome == .indexed }.map(\.duration).reduce(0, +)
        report.add(
            "ingest.demo_archive.end_to_end", seconds / elapsed, "video-s/s",
            note: String(format: "the %d sample clips (%.0f s of video, small frames) with the bundled model, index included", indexed, seconds))
        // Searched through the writer's own store: a second LMDB environment on a file this
        // process already has open is what LMDB forbids (closing one drops the other's locks).
        let engine = try SearchEngine(model: loaded.model, tokenizer: try loaded.tokenizer(), store: store)
        let segments = try store.counts().segments
        let captions = Set(labels.values.map(\.caption)).sorted()
        let source = "\(captions.count) captions over \(indexed) sample clips (\(segments) segments), model \(loaded.identity.description)"
        for rerank in [true, false] {
            var recall = Recall()
            var directionRight = 0, directionAsked = 0
            for caption in captions {
                let options = SearchOptions(k: segments, candidates: segments, rerank: rerank, perVideo: true)
                var ranked: [String] = []  // distinct clips, best first
                for hit in try engine.search(caption, options: options) {
                    let file = URL(fileURLWithPath: hit.path).lastPathComponent
                    if !ranked.contains(file) { ranked.append(file) }
                }
                recall.add(ranked) { labels[$0]?.caption == caption }
                // Direction: among the clips of this caption and of its mirror caption (same color and
                // shape, the other way), is the best-ranked one moving the queried way.
                let motion = labels.values.first { $0.caption == caption }?.motion ?? ""
                if let other = opposite[motion] {
                    let mirror = caption.replacingOccurrences(of: motion, with: other)
                    if let first = ranked.first(where: { [caption, mirror].contains(labels[$0]?.caption ?? "") }),
                        labels.values.contains(where: { $0.caption == mirror })
                    {
                        directionAsked += 1
                        if labels[first]?.caption == caption { directionRight += 1 }
                    }
                }
            }
            let form = rerank ? "" : ".first_stage"
            let how = rerank ? "with the video-specific prompt rerank" : "first stage only (--no-rerank)"
            report.add("quality.demo.R@1\(form)", recall.at(1), "fraction", note: "\(source); \(how)")
            report.add("quality.demo.R@5\(form)", recall.at(5), "fraction")
            report.add(
                "quality.demo.direction\(form)", Double(directionRight) / Double(max(directionAsked, 1)), "fraction",
                note:
                    "\(directionAsked) left/right or up/down captions whose mirror caption is among the clips: of the two, the best-ranked clip moves the queried way (chance 0.5)"
            )
        }
    }
}
