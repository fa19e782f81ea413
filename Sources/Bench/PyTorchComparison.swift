import CommandSupport
import Foundation
import Tensor

/// The PyTorch reference (transformers' XCLIPModel, fp32 and autocast bf16, same shapes, as many threads as the
/// model uses) timed in the same run by Tools/bench_pytorch.py, beside the figures this run
/// measured. Development-time only: when the interpreter lacks torch or transformers, it says so
/// and measures nothing.
public enum PyTorchComparison {
    /// PyTorch's figure -> this run's figure it is set beside, and the unit both are shown in.
    static let pairs: [(pytorch: String, ours: String, unit: String, scale: Double)] = [
        ("B/32.segment.batch1", "model.B/32.segment.batch1", "s/segment", 1),
        ("B/32.segment.batch4", "model.B/32.segment.batch4", "s/segment", 1),
        ("B/32.segment.batch4.bf16", "model.B/32.segment.batch4.onednn_bf16", "s/segment", 1),
        ("B/32.text.8tokens", "model.B/32.text.8tokens", "ms", 1000),
        ("B/16.segment.batch1", "model.B/16.segment.batch1", "s/segment", 1),
        ("B/16.segment.batch4", "model.B/16.segment.batch4", "s/segment", 1),
        ("B/16.segment.batch4.bf16", "model.B/16.segment.batch4.onednn_bf16", "s/segment", 1),
        ("B/16.text.8tokens", "model.B/16.text.8tokens", "ms", 1000),
        ("B/32.rerank100", "query.rerank100.folded", "ms", 1000),
    ]

    /// `parts`: "model" (segments and text, in `shapes`) and/or "rerank" (B/32).
    public static func run(report: Report, python: String, shapes: [String], parts: [String]) {
        guard let script = Defaults.inCheckout("Tools/bench_pytorch.py") else {
            report.skip("pytorch", "Tools/bench_pytorch.py is not beside this binary's checkout")
            return
        }
        guard (try? Subprocess.run(python, ["-c", "import torch, transformers"]))?.status == 0 else {
            report.skip("pytorch", "\(python) cannot import torch and transformers (install them, or pass --python or set $VIDSEARCH_PYTHON)")
            return
        }
        let arguments = [
            script.path, "--shapes", shapes.joined(separator: ","), "--parts", parts.joined(separator: ","),
            "--threads", String(Parallel.cores),
        ]
        guard let result = try? Subprocess.run(python, arguments), result.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
            let figures = object["figures"] as? [String: [String: Double]]
        else {
            report.skip("pytorch", "Tools/bench_pytorch.py failed")
            return
        }
        let version = "torch \(object["torch"] ?? "?"), transformers \(object["transformers"] ?? "?"), \(object["threads"] ?? "?") threads"
        for pair in pairs {
            guard let seconds = figures[pair.pytorch]?["seconds"],
                let ours = report.figures.first(where: { $0.name == pair.ours })
            else { continue }
            let value = seconds * pair.scale
            report.add(
                "pytorch.\(pair.pytorch)", value, pair.unit, ratio: value / ours.value,
                ratioTo: "pytorch (vidsearch x faster)",
                note: "same run, \(version); spread \(String(format: "%.0f%%", (figures[pair.pytorch]?["spread"] ?? 0) * 100))")
        }
    }
}
