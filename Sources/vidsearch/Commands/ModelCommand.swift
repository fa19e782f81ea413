import ArgumentParser
import CommandSupport
import Foundation
import Tensor
import XCLIP

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect, verify and pull X-CLIP and CLIP checkpoints.",
        subcommands: [ModelCheck.self, ModelInfo.self, ModelPull.self]
    )
}

struct ModelCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run a model on a reference dump's inputs and compare every output.",
        discussion: """
            The reference is a safetensors file with input.pixel_values, input.input_ids and the \
            reference outputs out.* (the format of Tests/XCLIPTests/Fixtures/xclip-tiny/io.safetensors). \
            Each output's error is max|ours - reference| / max|reference|. \
            The products run in f32 (the reference's precision) unless --precision or \
            $VIDSEARCH_PRECISION asks for bf16, which is checked at a bf16 tolerance (2e-2). \
            Exit status: 0 all within tolerance, 1 an output over it or missing, 3 model or file unreadable.

            Example:
              vidsearch model check --model Models/xclip-demo --reference Models/xclip-demo/reference.safetensors
            """
    )

    @OptionGroup var products: PrecisionOption

    @Option(help: "Checkpoint directory (config.json, model.safetensors or pytorch_model.bin), or ORG/NAME[@REVISION] in the Hugging Face cache.")
    var model: String

    @Option(help: "Reference dump (safetensors with input.* and out.* tensors).")
    var reference: String

    @Option(help: "Largest relative error accepted per output (default 1e-4 in f32, 2e-2 in bf16).")
    var tolerance: Float?

    @Flag(help: "One JSON object per output, then a summary object.")
    var json = false

    func run() throws {
        products.apply()
        if products.precision == nil && ProcessInfo.processInfo.environment["VIDSEARCH_PRECISION"] == nil {
            ProductEngine.choose(precision: "f32", source: "model check: the reference's precision")
        }
        let tolerance = self.tolerance ?? (ProductEngine.current == .onednnBF16 ? 2e-2 : 1e-4)
        if !json { print("products: \(ProductEngine.reason)") }
        let results: [ReferenceCheck.Result]
        do {
            let loaded = try XCLIPModel(directory: URL(fileURLWithPath: model))
            let dump = try SafeTensorsFile(path: reference)
            results = try ReferenceCheck.run(model: loaded, reference: dump)
        } catch {
            Output.error("\(error)")
            throw ExitCodes.indexOrModel
        }
        var failed = 0
        for result in results {
            let ok = result.problem == nil && (result.error ?? .infinity) <= tolerance
            if !ok { failed += 1 }
            if json {
                var object: [String: Any] = ["output": result.name, "ok": ok]
                if let error = result.error { object["error"] = Double(error) }
                if let problem = result.problem { object["problem"] = problem }
                Output.json(object)
            } else {
                let figure = result.error.map { String(format: "%.2e", $0) } ?? "-"
                let note = result.problem ?? (ok ? "ok" : "over \(tolerance)")
                print(
                    "\(result.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(figure.padding(toLength: 10, withPad: " ", startingAt: 0)) \(note)"
                )
            }
        }
        if json {
            Output.json(["outputs": results.count, "failed": failed, "tolerance": Double(tolerance)])
        } else {
            print(failed == 0 ? "all \(results.count) outputs within \(tolerance)" : "\(failed) of \(results.count) outputs failed")
        }
        if failed > 0 { throw ExitCodes.someFailed }
    }
}
