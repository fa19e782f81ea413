import ArgumentParser
import CommandSupport
import Foundation
import Ingest
import Tensor
import XCLIP

/// `vidsearch model info`: what a model directory holds, and for a model made by
/// Tools/train_demo.py (the bundled one), how it was trained and what it scored (its training.json).
struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's shapes, preprocessing and identity, and how it was trained when it says so.",
        discussion: """
            Examples:
              vidsearch model info
              vidsearch model info --model ~/models/xclip-base-patch32 --json
            """
    )

    @OptionGroup var products: PrecisionOption

    @Option(help: "Model directory. Default: $VIDSEARCH_MODEL or the bundled Models/xclip-demo.")
    var model: String?

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        products.apply()
        let loaded = try withIndexOrModel { try LoadedModel(model) }
        let c = loaded.model.configuration, v = c.vision, t = c.text
        let preprocessing = try withIndexOrModel { try loaded.preprocessor().configuration }
        let training = FileManager.default.contents(atPath: loaded.directory.appendingPathComponent("training.json").path)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        if json {
            var object: [String: Any] = [
                "directory": loaded.directory.path, "fingerprint": loaded.identity.fingerprint,
                "family": c.family.rawValue, "rerank": Self.rerank(loaded.model),
                "embedding": loaded.model.embeddingSize, "prompt_tokens": loaded.model.promptTokenCount,
                "vision": [
                    "image_size": v.imageSize, "patch_size": v.patchSize, "width": v.hiddenSize, "layers": v.numHiddenLayers,
                    "frames": v.numFrames, "mit_layers": v.mitNumHiddenLayers,
                ],
                "text": ["width": t.hiddenSize, "layers": t.numHiddenLayers],
                "prompt_layers": c.promptLayers,
                "preprocessing": [
                    "shortest_edge": preprocessing.shortestEdge, "crop": [preprocessing.cropHeight, preprocessing.cropWidth],
                    "resample": preprocessing.resample.name, "from_file": loaded.hasPreprocessorFile,
                    "mean": preprocessing.mean.map(Double.init), "std": preprocessing.std.map(Double.init),
                ],
            ]
            if let training { object["training"] = training }
            object["products"] = [
                "engine": ProductEngine.current.rawValue, "why": ProductEngine.reason,
                "cpu_bf16": ProductEngine.cpuHasBF16, "onednn_isa": ProductEngine.oneDNNISA,
            ]
            Output.json(object)
            return
        }
        print("model:        \(loaded.directory.path)")
        print("identity:     \(loaded.identity.description)")
        print("family:       \(c.family.rawValue); rerank: \(Self.rerank(loaded.model))")
        if c.family == .xclip {
            print(
                "vision:       \(v.imageSize) px, patch \(v.patchSize), width \(v.hiddenSize), \(v.numHiddenLayers) layers, \(v.numFrames) frames; MIT \(v.mitNumHiddenLayers) layer(s)"
            )
            print("text:         width \(t.hiddenSize), \(t.numHiddenLayers) layers; prompt generator \(c.promptLayers) layers")
        } else {
            print(
                "vision:       \(v.imageSize) px, patch \(v.patchSize), width \(v.hiddenSize), \(v.numHiddenLayers) layers, each of \(v.numFrames) frames alone; no MIT"
            )
            print("text:         width \(t.hiddenSize), \(t.numHiddenLayers) layers; no prompt generator")
        }
        print("embedding:    \(loaded.model.embeddingSize) values, \(loaded.model.promptTokenCount) prompt tokens per segment")
        print("products:     \(ProductEngine.reason)")
        let resize = preprocessing.exactSize.map { "resize to \($0.width)x\($0.height)" } ?? "short side \(preprocessing.shortestEdge)"
        let source =
            loaded.hasPreprocessorFile ? "preprocessor_config.json" : "no preprocessor_config.json: the \(c.family.rawValue) processor's defaults"
        print(
            "preprocess:   \(resize) (PIL \(preprocessing.resample.name)), crop \(preprocessing.cropWidth)x\(preprocessing.cropHeight); from \(source)"
        )
        guard let training else { return }
        if let command = training["command"] as? String { print("trained with: \(command)") }
        if let eval = training["fresh_clip_eval"] as? [String: Any], let final = eval["final"] as? [String: Any] {
            let clips = eval["clips"] as? Int ?? 0
            print("fresh clips (\(clips), Python proxy of the product's segment times):")
            for key in [
                "rerank.seen.R@1", "rerank.heldout.R@1", "rerank.direction.seen", "first.seen.R@1", "first.heldout.R@1", "first.direction.seen",
            ] {
                if let value = final[key] as? Double { print("  \(Formatting.pad(key, 24)) \(String(format: "%.3f", value))") }
            }
        }
        if let real = training["real_path_eval"] as? String { print("through the product: \(real)") }
    }

    /// What the second stage of a search does with this model.
    static func rerank(_ model: XCLIPModel) -> String {
        model.reranks
            ? "each candidate's text embedding prompted by its video (X-CLIP's video-specific prompt)"
            : "none: a CLIP checkpoint has no prompt generator, so the vector index's cosine (CLIP-mean) is the score"
    }
}
