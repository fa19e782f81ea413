import CommandSupport
import DNNLBridge
import Foundation

/// Benchmark figures: a table for people, JSON objects for scripts, Markdown for BENCHMARKS.md.
public final class Report {
    struct Figure {
        let name: String
        let value: Double
        let unit: String
        let timing: Measure.Timing?
        let ratio: Double?
        let ratioTo: String?
        let note: String?
    }

    let json: Bool
    public let machine = Measure.machine()
    private(set) var sgemm = 0.0
    /// oneDNN's rates on the same product, same run (0 where it has none).
    private(set) var dnnlF32 = 0.0, dnnlBF16 = 0.0
    private(set) var figures: [Figure] = []
    private(set) var skipped: [(name: String, reason: String)] = []

    public init(json: Bool) { self.json = json }

    public func measureSgemm() {
        // The limit is the faster of OpenBLAS's own threads and the split the model uses.
        let threaded = Measure.sgemmRate(split: false), split = Measure.sgemmRate(split: true)
        sgemm = max(threaded, split)
        add(
            "machine.sgemm", sgemm, "GFLOP/s",
            note: String(format: "400x2304x768 sgemm, same run: OpenBLAS threads %.1f, split per core %.1f; the faster is the limit", threaded, split)
        )
        // oneDNN's limits on the same product (the model's products use them with VIDSEARCH_GEMM=onednn).
        for bf16 in [false, true] {
            let name = bf16 ? "machine.dnnl_bf16" : "machine.dnnl_f32"
            if let (rate, implementation) = Measure.dnnlRate(bf16: bf16) {
                if bf16 { dnnlBF16 = rate } else { dnnlF32 = rate }
                add(
                    name, rate, "GFLOP/s", ratio: rate / sgemm, ratioTo: "sgemm",
                    note: "oneDNN 2.6 matmul, same product, \(implementation), weights reordered once"
                        + (bf16 ? ", f32 source converted each call, f32 output" : ""))
            } else {
                skip(name, "oneDNN has no \(bf16 ? "bf16" : "f32") matmul on this CPU (ISA \(String(cString: vs_dnnl_isa())))")
            }
        }
    }

    func add(
        _ name: String, _ value: Double, _ unit: String, timing: Measure.Timing? = nil, ratio: Double? = nil,
        ratioTo: String? = nil, note: String? = nil
    ) {
        let figure = Figure(name: name, value: value, unit: unit, timing: timing, ratio: ratio, ratioTo: ratioTo, note: note)
        figures.append(figure)
        if json {
            var object: [String: Any] = ["name": name, "value": value, "unit": unit]
            if let ratio { object["ratio"] = ratio }
            if let ratioTo { object["ratio_to"] = ratioTo }
            if let timing { object["spread"] = timing.spread }
            if let note { object["note"] = note }
            Output.json(object)
        } else {
            print(line(figure))
        }
    }

    /// A benchmark that could not run here, and why: on the table (or as a JSON object) and in the Markdown.
    func skip(_ name: String, _ reason: String) {
        skipped.append((name, reason))
        if json { Output.json(["name": name, "skipped": reason]) } else { print("\(Formatting.pad(name, 40)) skipped: \(reason)") }
    }

    func line(_ f: Figure) -> String {
        var text = "\(Formatting.pad(f.name, 40)) \(String(format: "%10.4g", f.value)) \(Formatting.pad(f.unit, 10))"
        if let ratio = f.ratio, let to = f.ratioTo { text += String(format: "  %.2fx %@", ratio, to) }
        if let t = f.timing { text += String(format: "  (spread %.0f%%)", t.spread * 100) }
        if let note = f.note { text += "  \(note)" }
        return text
    }

    /// The figures as a Markdown table, with the machine and the command that made them.
    public func markdown(command: String) -> String {
        var text = "Measured on \(machine), sgemm \(String(format: "%.1f", sgemm)) GFLOP/s in the same run.\n"
        text += "Rerun with: `\(command)`\n\n| figure | value | unit | ratio | note |\n|---|---|---|---|---|\n"
        for f in figures {
            let ratio = f.ratio.map { String(format: "%.2fx %@", $0, f.ratioTo ?? "") } ?? ""
            var note = f.note ?? ""
            if let t = f.timing { note += (note.isEmpty ? "" : "; ") + String(format: "spread %.0f%%", t.spread * 100) }
            text += "| \(f.name) | \(String(format: "%.4g", f.value)) | \(f.unit) | \(ratio) | \(note) |\n"
        }
        for (name, reason) in skipped { text += "\nSkipped \(name): \(reason).\n" }
        return text
    }
}
