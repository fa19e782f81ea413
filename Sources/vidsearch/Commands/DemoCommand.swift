import ArgumentParser
import CommandSupport
import Foundation
import Ingest
import Query
import VideoIndex

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Index the bundled sample clips with the bundled model and search them.",
        discussion: """
            The sample clips (Samples/demo-clips) show one shape each, doing one thing, captioned \
            "a {color} {shape} {motion}". The demo indexes them through the same path as \
            `vidsearch index`, runs a few queries, and marks each hit whose clip has that caption.

            Examples:
              vidsearch demo
              vidsearch demo --index /tmp/demo-index --query "a yellow triangle moving left"
            """
    )

    @Option(help: "Index directory for the demo (default: ~/.local/share/vidsearch/demo-index).")
    var index: String?

    @Option(help: "Model directory. Default: $VIDSEARCH_MODEL or the bundled Models/xclip-demo.")
    var model: String?

    @Option(help: "Folder of clips with a labels.jsonl (default: the bundled Samples/demo-clips).")
    var clips: String?

    @Option(parsing: .singleValue, help: "A query to run (repeatable); default: four captions of the samples.")
    var query: [String] = []

    @Option(name: .short, help: "Hits shown per query.")
    var k: Int = 3

    static let defaultQueries = [
        ("a white square growing", "a white square growing"),
        ("a blue triangle blinking", "a blue triangle blinking"),
        ("a yellow triangle moving right", "a yellow triangle moving right"),
        ("a red ball going to the left", "a red circle moving left"),
    ]

    func validate() throws {
        try Limits.check(k, "-k", 1...Limits.maxResults)
    }

    func run() throws {
        guard let clipsDir = clips.map({ URL(fileURLWithPath: $0) }) ?? Defaults.samplesDirectory() else {
            Output.error("no sample clips found (Samples/demo-clips beside the checkout); pass --clips DIR")
            throw ExitCodes.indexOrModel
        }
        let indexDir = index.map { URL(fileURLWithPath: $0) } ?? Defaults.demoIndexDirectory
        let labels = SampleLabels.read(clipsDir).mapValues(\.caption)
        let loaded = try withIndexOrModel { try LoadedModel(model) }
        print("model:  \(loaded.directory.path) (\(loaded.identity.description))")
        print("clips:  \(clipsDir.path) (\(labels.count) clips)")
        print("index:  \(indexDir.path)\n")

        // Index, exactly as `vidsearch index` does.
        let (files, _) = FileWalker.expand([clipsDir.path])
        let outcome = try withIndexOrModel { () -> (Int, Int) in
            let store = try IndexStore(writingAt: indexDir, model: loaded.identity)
            // The demo index is the demo's own: videos from another clip folder (another checkout,
            // an earlier --clips) would show up as duplicates of these.
            let wanted = Set(files)
            for video in try store.videos() where !wanted.contains(video.path) { try store.remove(path: video.path) }
            let pipeline = try IngestPipeline(model: loaded.model, preprocessor: try loaded.preprocessor())
            let progress = Progress(totalFiles: files.count, enabled: true)
            let start = Date()
            var seconds = 0.0
            let results = try IndexRun(store: store, pipeline: pipeline).run(files: files) { event in
                if case .file(let result) = event {
                    progress.fileDone()
                    if result.outcome == .indexed { seconds += result.duration }
                    if result.outcome == .failed { progress.line("FAILED \(result.path): \(result.detail ?? "")") }
                }
            }
            progress.finish()
            try IndexCaches.save(store)
            let indexed = results.filter { $0.outcome == .indexed }.count
            let elapsed = Date().timeIntervalSince(start)
            print(
                "indexed \(indexed) clips (\(results.filter { $0.outcome == .skipped }.count) already there), "
                    + String(format: "%.1f s of video in %.1f s", seconds, elapsed) + "; \(try store.counts().segments) segments\n")
            return (indexed, results.filter { $0.outcome == .failed }.count)
        }

        // Captions the samples hold three times each, and one put in other words ("ball" and "going
        // to the left" are among the rewordings the text tower was trained on; words it never saw,
        // "crimson" or "sphere", it does not understand). A hit is right when its clip has the caption.
        let queries: [(text: String, caption: String)] = query.isEmpty ? Self.defaultQueries : query.map { ($0, $0) }
        var hits = 0, shown = 0
        try withIndexOrModel {
            let store = try IndexStore(readingAt: indexDir, model: loaded.identity)
            let engine = try SearchEngine(model: loaded.model, tokenizer: try loaded.tokenizer(), store: store)
            for q in queries {
                print("search \"\(q.text)\"" + (q.text == q.caption ? "" : "   (the samples say \"\(q.caption)\")"))
                let results = try engine.search(q.text, options: SearchOptions(k: k, perVideo: true))
                for (rank, r) in results.enumerated() {
                    let file = URL(fileURLWithPath: r.path).lastPathComponent
                    let truth = labels[file] ?? "?"
                    let match = truth == q.caption
                    if match { hits += 1 }
                    shown += 1
                    let range = "\(Formatting.time(r.start, precise: true))-\(Formatting.time(r.end, precise: true))"
                    print("  \(rank + 1). \(String(format: "%.3f", r.score))  \(Formatting.pad(range, 15)) \(file)  \(match ? "✓" : "✗") \(truth)")
                }
                print("")
            }
        }
        print("\(hits) of \(shown) hits show the query's caption. Search it yourself:")
        print("  vidsearch search \"a yellow triangle moving left\" --index \(indexDir.path)")
        print("or in a browser (then open http://127.0.0.1:8080/):")
        print("  vidsearch serve --index \(indexDir.path)")
        if outcome.1 > 0 { throw ExitCodes.someFailed }
    }
}
