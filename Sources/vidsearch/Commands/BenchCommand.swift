import ArgumentParser
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed, memory, storage and quality; print a table or JSON.",
        discussion: """
        Every speed is given with a ratio to a limit measured in the same run (this machine's
        sgemm rate) or to another implementation measured alongside. Timings are medians of
        repeated runs after a warm-up, with their spread.

        Examples:
          vidsearch bench model
          vidsearch bench model --json > model.jsonl
        """
    )

    @Argument(help: "What to measure: model, tokenizer, query, all.")
    var what: String = "all"

    @Flag(help: "One JSON object per figure (name, value, unit, ratio, ratio_to).")
    var json = false

    @Option(help: "Model shapes for `model`: B/32, B/16 or both (comma separated).")
    var shapes: String = "B/32,B/16"

    func run() throws {
        let report = Report(json: json)
        if json { Output.json(["machine": report.machine]) } else { print("machine: \(report.machine)") }
        report.measureSgemm()
        let all = what == "all"
        if all || what == "model" {
            try ModelBenchmark.run(shapes: shapes.split(separator: ",").map(String.init), report: report)
        }
        if all || what == "tokenizer" { try TokenizerBenchmark.run(report: report) }
    }
}
