import ArgumentParser
import Bench
import CommandSupport
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed, memory, storage and quality; print a table or JSON.",
        discussion: """
            Every speed is given with a ratio to a limit measured in the same run (this machine's \
            sgemm rate) or to another implementation measured alongside. Timings are medians of \
            repeated runs after a warm-up, with their spread.

            Examples:
              vidsearch bench model
              vidsearch bench model --json > model.jsonl
              vidsearch bench index --vectors 1000000     (about 8 minutes; 8 GB of temporary disk)
              vidsearch bench cuts                        (cut detection on generated edits: recall, precision, cost)
              vidsearch bench quality                     (R@k of the bundled model on the sample clips)
              vidsearch bench speech                      (subtitle search: R@1 fused and alone, ingest cost, FTS latency at 100k/1M cues)
              vidsearch bench serve                       (HTTP with wrk at 1, 4, 16 clients on 100k segments; also during a watch)
              vidsearch bench model --python ~/venv/bin/python   (PyTorch timed alongside, if it has torch)
            """
    )

    @Argument(help: "What to measure: model, tokenizer, query, index, ingest, cuts, quality, speech, serve, all.")
    var what: String = "all"

    @Flag(help: "One JSON object per figure (name, value, unit, ratio, ratio_to).")
    var json = false

    @Option(help: "Model shapes for `model`: B/32, B/16 or both (comma separated).")
    var shapes: String = "B/32,B/16"

    @Option(help: "Segments in the index that `query` searches.")
    var segments: Int = 10_000

    @Option(help: "Segments in the archive-scale index that `index` builds and searches.")
    var vectors: Int = 1_000_000

    @Option(help: "How many of those segments carry prompt tokens (8-bit, 25 KB each at B/32).")
    var promptSubset: Int = 100_000

    @Option(help: "Model directory for `quality`. Default: $VIDSEARCH_MODEL or the bundled Models/xclip-demo.")
    var model: String?

    @Option(
        help:
            "Python with torch and transformers, to time the PyTorch reference beside `model` and `query`'s rerank (Tools/bench_pytorch.py). Default: $VIDSEARCH_PYTHON or python3; skipped, with a message, when it lacks them."
    )
    var python: String?

    @Option(help: .hidden)  // `bench index` runs itself with this to measure a serving process's memory
    var serveIndex: String?

    @Option(help: .hidden)  // `bench ingest` runs itself with this to measure an indexing process's memory
    var ingestPeak: String?

    @Option(help: "Also write the figures as Markdown to this file (BENCHMARKS.md is made this way).")
    var markdown: String?

    func validate() throws {
        let known = ["model", "tokenizer", "query", "index", "ingest", "cuts", "quality", "speech", "serve", "all"]
        guard known.contains(what) else { throw ValidationError("unknown benchmark '\(what)'; one of: \(known.joined(separator: ", "))") }
        try Limits.check(segments, "--segments", 1...Limits.maxBenchVectors)
        try Limits.check(vectors, "--vectors", 1...Limits.maxBenchVectors)
        try Limits.check(promptSubset, "--prompt-subset", 0...vectors)
    }

    func run() throws {
        if let serveIndex {
            try IndexBenchmark.serve(index: URL(fileURLWithPath: serveIndex))
            return
        }
        if let ingestPeak {
            try IngestBenchmark.peak(indexing: ingestPeak)
            return
        }
        let report = Report(json: json)
        if json { Output.json(["machine": report.machine]) } else { print("machine: \(report.machine)") }
        report.measureSgemm()
        let all = what == "all"
        if all || what == "model" {
            try ModelBenchmark.run(shapes: shapes.split(separator: ",").map(String.init), report: report)
        }
        if all || what == "tokenizer" { try TokenizerBenchmark.run(report: report) }
        if all || what == "query" { try QueryBenchmark.run(report: report, segments: segments) }
        if all || what == "index" {
            try IndexBenchmark.run(report: report, count: vectors, promptSubset: promptSubset)
            try IndexBenchmark.recallOnSecondShape(report: report, count: vectors)
        }
        if all || what == "ingest" { try IngestBenchmark.run(report: report) }
        if all || what == "cuts" { try CutBenchmark.run(report: report) }
        if all || what == "quality" { try QualityBenchmark.run(report: report, model: model) }
        if all || what == "speech" { try SpeechBenchmark.run(report: report, model: model) }
        if all || what == "serve" {
            try ServeBenchmark.run(report: report, segments: what == "serve" ? min(vectors, 100_000) : 100_000, model: model)
        }
        if all || what == "model" || what == "query" {
            let interpreter = python ?? ProcessInfo.processInfo.environment["VIDSEARCH_PYTHON"] ?? "python3"
            let parts = all ? ["model", "rerank"] : what == "model" ? ["model"] : ["rerank"]
            PyTorchComparison.run(
                report: report, python: interpreter,
                shapes: what == "query" ? ["B/32"] : shapes.split(separator: ",").map(String.init), parts: parts)
        }
        if let markdown {
            // The command as a reader would rerun it: without the file it was written to.
            var arguments = Array(CommandLine.arguments.dropFirst())
            if let i = arguments.firstIndex(of: "--markdown"), i + 1 < arguments.count { arguments.removeSubrange(i...(i + 1)) }
            arguments.removeAll { $0.hasPrefix("--markdown=") }
            let command = (["vidsearch"] + arguments).joined(separator: " ")
            try report.markdown(command: command).write(toFile: markdown, atomically: true, encoding: .utf8)
        }
    }
}
