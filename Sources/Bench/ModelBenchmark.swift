import Foundation
import Tensor
import XCLIP

/// Model speed with seeded random weights in the official checkpoints' shapes.
public enum ModelBenchmark {
    /// Multiply-adds x 2 of one segment's vision side (encoder, MIT, prompt tokens), counted from the config.
    static func visionFLOPs(_ c: XCLIPConfiguration) -> Double {
        let v = c.vision, t = Double(v.numFrames), l = Double(v.tokens), w = Double(v.hiddenSize), p = Double(c.projectionDim)
        let patch = t * (l - 1) * Double(v.numChannels * v.patchSize * v.patchSize) * w
        let perLayer =
            t * ((l + 1) * (4 * w * w + 2 * w * Double(v.intermediateSize)) + 2 * (l + 1) * (l + 1) * w)
            + t * (4 * w * w) + t * w * w + 2 * t * t * w
        let mit = Double(v.mitNumHiddenLayers) * t * (4 * p * p + 2 * p * Double(v.mitIntermediateSize))
        let heads = t * w * p + (l - 1) * w * p
        return 2 * (patch + Double(v.numHiddenLayers) * perLayer + mit + heads)
    }

    /// A CLIP checkpoint's segment in the same shape (CLIP-mean: the vision tower without message
    /// tokens, no MIT, no prompt tokens) beside X-CLIP's, both on this CPU's default products, in
    /// alternating runs.
    static func clipSegment(shape: String, config: XCLIPConfiguration, xclip: XCLIPModel, report: Report) throws {
        var clipConfig = config
        clipConfig.family = .clip
        let clip = try XCLIPModel(configuration: clipConfig, source: RandomTensorSource(seed: 42))
        var rng = SeededRandom(seed: 11)
        let pixels = rng.tensor([1, 8, 3, 224, 224])
        var xclipTimes: [Double] = [], clipTimes: [Double] = []
        _ = try xclip.encodeVideos(pixels)
        _ = try clip.encodeVideos(pixels)
        for _ in 0..<(shape == "B/16" ? 3 : 5) {
            let a = Date()
            _ = try xclip.encodeVideos(pixels)
            let b = Date()
            _ = try clip.encodeVideos(pixels)
            xclipTimes.append(b.timeIntervalSince(a))
            clipTimes.append(Date().timeIntervalSince(b))
        }
        let x = xclipTimes.sorted()[xclipTimes.count / 2], c = clipTimes.sorted()[clipTimes.count / 2]
        report.add(
            "model.\(shape).clip_segment", c, "s/segment", ratio: x / c, ratioTo: "X-CLIP's segment, same products (x faster)",
            note: String(
                format: "CLIP-mean, batch 1, %@ products; X-CLIP %.4f s in alternating runs (medians of %d)",
                ProductEngine.current.rawValue, x, clipTimes.count))
    }

    public static func run(shapes: [String], report: Report) throws {
        let sgemm = report.sgemm
        let bandwidth = Measure.memoryBandwidth()
        for shape in shapes {
            var config = XCLIPConfiguration()
            config.vision.patchSize = shape == "B/16" ? 16 : 32
            // The baseline rows: every product in OpenBLAS and the text tower's panels in the
            // checkpoint's f32, whatever this CPU's default is.
            let engineBefore = ProductEngine.current
            defer { ProductEngine.current = engineBefore }
            ProductEngine.current = .openblas
            let model = try XCLIPModel(configuration: config, source: RandomTensorSource(seed: 42))
            var rng = SeededRandom(seed: 9)
            let flops = visionFLOPs(config)
            var sgemmPathBatch4 = 0.0
            for batch in [1, 4] {
                let pixels = rng.tensor([batch, 8, 3, 224, 224])
                let t = try Measure.time(repeats: shape == "B/16" ? 3 : 5) { _ = try model.encodeVideos(pixels) }
                let perSegment = t.median / Double(batch)
                if batch == 4 { sgemmPathBatch4 = perSegment }
                let rate = flops / perSegment / 1e9
                report.add(
                    "model.\(shape).segment.batch\(batch)", perSegment, "s/segment", timing: t,
                    ratio: rate / sgemm, ratioTo: "sgemm", note: String(format: "%.1f GFLOP/s of %.1f GFLOP per segment", rate, flops / 1e9))
            }
            // The same segments with the large products in oneDNN, each against its own
            // precision's limit measured in this run.
            for (engine, limit, label) in [(ProductEngine.onednnF32, report.dnnlF32, "onednn_f32"), (.onednnBF16, report.dnnlBF16, "onednn_bf16")]
            where limit > 0 {
                ProductEngine.current = engine
                for batch in [1, 4] {
                    let pixels = rng.tensor([batch, 8, 3, 224, 224])
                    _ = try model.encodeVideos(pixels)  // weights reordered into oneDNN's layout
                    let t = try Measure.time(repeats: shape == "B/16" ? 3 : 5) { _ = try model.encodeVideos(pixels) }
                    let perSegment = t.median / Double(batch)
                    let rate = flops / perSegment / 1e9
                    report.add(
                        "model.\(shape).segment.batch\(batch).\(label)", perSegment, "s/segment", timing: t,
                        ratio: rate / limit, ratioTo: label == "onednn_f32" ? "dnnl_f32" : "dnnl_bf16",
                        note: String(
                            format: "%.1f GFLOP/s; %.2fx faster than the OpenBLAS path (batch 4) in this run", rate, sgemmPathBatch4 / perSegment))
                }
            }
            ProductEngine.current = engineBefore
            try clipSegment(shape: shape, config: config, xclip: model, report: report)
            let ids = [49406, 320, 1929, 8617, 320, 45768, 530, 49407]  // "a dog catching a frisbee in" (8 tokens)
            let t = try Measure.time(repeats: 50, warmup: 3) { _ = try model.encodeText(ids) }
            // Bound by reading the text weights: stated against the machine's read bandwidth.
            let text = config.text
            let textBytes = Double(
                text.numHiddenLayers
                    * (4 * text.hiddenSize * text.hiddenSize
                        + 2 * text.hiddenSize * text.intermediateSize) * 4)
            report.add(
                "model.\(shape).text.8tokens", t.median * 1000, "ms", timing: t,
                ratio: textBytes / t.median / 1e9 / bandwidth, ratioTo: "memory bandwidth",
                note: String(format: "reads %.0f MB of f32 text weights; bandwidth %.1f GB/s, same run", textBytes / 1e6, bandwidth))
            report.add("model.\(shape).peak_memory", Double(Measure.peakResidentBytes()) / 1_048_576, "MiB")
            // The same query on f16 weights (an f16 checkpoint such as the demo model's, or any
            // checkpoint with bf16 products): the text tower keeps them in f16 and reads half the bytes.
            let half = try XCLIPModel(configuration: config, source: RandomTensorSource(seed: 42, half: true))
            let th = try Measure.time(repeats: 50, warmup: 3) { _ = try half.encodeText(ids) }
            report.add(
                "model.\(shape).text.8tokens.f16", th.median * 1000, "ms", timing: th,
                ratio: t.median / th.median, ratioTo: "f32 weights (x faster)")
            if PanelProduct.useAVX512 {
                // Both again on the AVX2 tile, the only one before the AVX-512 tile.
                PanelProduct.useAVX512 = false
                let t2 = try Measure.time(repeats: 50, warmup: 3) { _ = try model.encodeText(ids) }
                let th2 = try Measure.time(repeats: 50, warmup: 3) { _ = try half.encodeText(ids) }
                PanelProduct.useAVX512 = true
                report.add(
                    "model.\(shape).text.8tokens.avx2_tile", t2.median * 1000, "ms", timing: t2,
                    ratio: t2.median / th.median, ratioTo: "f16 on the AVX-512 tile (x slower)", note: "f32 weights")
                report.add(
                    "model.\(shape).text.8tokens.f16.avx2_tile", th2.median * 1000, "ms", timing: th2,
                    ratio: th2.median / th.median, ratioTo: "f16 on the AVX-512 tile (x slower)")
            }
        }
    }
}
