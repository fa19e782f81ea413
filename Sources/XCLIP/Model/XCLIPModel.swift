import Foundation
import Tensor

/// What the video side of X-CLIP makes of a batch of segments.
public struct VideoEncoding {
    /// [videos, projection]: the video embedding (MIT mean, not normalized).
    public let embeddings: Tensor
    /// [videos, patches, projection]: the frame-mean of the projected patch tokens, which the
    /// prompt generator attends to when a text is compared with this video ([videos, 0, projection]
    /// for a CLIP checkpoint, which has no prompt generator).
    public let promptTokens: Tensor
    /// [videos * frames, projection]: each frame's projected class token.
    public let frameEmbeddings: Tensor
    /// Intermediate results, kept for parity checks.
    public let visionLastHiddenState: Tensor
    public let visionPooled: Tensor
    /// X-CLIP's MIT output [videos, frames, projection]; for CLIP the normalized frame embeddings.
    public let mitLastHiddenState: Tensor
}

/// An X-CLIP model (Hugging Face `XCLIPModel` layout) running on the CPU.
/// The forward pass, top to bottom, is spec sections 4.2 to 4.10.
///
/// The same class runs a CLIP checkpoint (`CLIPModel`, `configuration.family == .clip`) as the
/// paper's CLIP-mean baseline: the vision tower without message tokens on each frame, the
/// normalized projected frame embeddings averaged, the same text tower, and no video-specific
/// prompt (`reranks` is false).
///
/// Thread safety: the weights are immutable once loaded, but a call keeps its intermediate
/// results in the model's layers' buffers, so one model runs one call at a time (the ingest
/// workers and the server each hold their own turn); two models run side by side freely, each
/// with its own `settings`.
public final class XCLIPModel {
    public let configuration: XCLIPConfiguration
    /// The engine and core budget every call of this model runs with (RunSettings); nil: the
    /// process's defaults at the time of each call.
    public let settings: RunSettings?
    let vision: VisionTransformer
    let visualProjection: Linear
    /// X-CLIP's video-specific parts; nil for a CLIP checkpoint.
    let mit: MultiFrameIntegration?
    let promptsVisualLayerNorm: LayerNorm?
    /// [vision width, projection], applied without a transpose.
    let promptsVisualProjection: Tensor?
    let text: TextTransformer
    let textProjection: Linear
    let promptGenerator: PromptGenerator?
    /// exp of the stored logit_scale.
    public let logitScale: Float

    /// Loads config.json and the weights from a checkpoint directory: model.safetensors, or
    /// where there is none, pytorch_model.bin (torch.save's format, read without running it).
    public convenience init(directory: URL, settings: RunSettings? = nil) throws {
        let configuration = try XCLIPConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        let weights: TensorSource
        switch Self.weightsFile(in: directory) {
        case .safetensors(let path): weights = try SafeTensorsFile(path: path)
        case .torch(let path): weights = try TorchCheckpoint(path: path)
        }
        try self.init(configuration: configuration, source: weights, settings: settings)
    }

    public enum WeightsFile: Equatable {
        case safetensors(String)
        case torch(String)
        public var path: String {
            switch self {
            case .safetensors(let p), .torch(let p): return p
            }
        }
    }

    /// The weights file a checkpoint directory holds: model.safetensors, else pytorch_model.bin
    /// (and model.safetensors, missing, is what an error names when there is neither).
    public static func weightsFile(in directory: URL) -> WeightsFile {
        let safetensors = directory.appendingPathComponent("model.safetensors").path
        let torch = directory.appendingPathComponent("pytorch_model.bin").path
        if !FileManager.default.fileExists(atPath: safetensors), FileManager.default.fileExists(atPath: torch) { return .torch(torch) }
        return .safetensors(safetensors)
    }

    public init(configuration: XCLIPConfiguration, source: TensorSource, settings: RunSettings? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        self.settings = settings
        // Weights are laid out for the engine that will run them (WeightStore.halfPanels).
        let earlier = settings.map { RunSettings.replace(with: $0) }
        defer { if let earlier { _ = RunSettings.replace(with: earlier) } }
        let weights = WeightStore(source: source)
        let v = configuration.vision, p = configuration.projectionDim
        let xclip = configuration.family == .xclip
        vision = try VisionTransformer(weights, v, crossFrame: xclip)
        visualProjection = try weights.linear("visual_projection", in: v.hiddenSize, out: p, bias: false)
        mit = xclip ? try MultiFrameIntegration(weights, v) : nil
        promptsVisualLayerNorm = xclip ? try weights.layerNorm("prompts_visual_layernorm", width: v.hiddenSize, epsilon: v.layerNormEps) : nil
        promptsVisualProjection = xclip ? try weights.tensor("prompts_visual_projection", [v.hiddenSize, p]) : nil
        text = try TextTransformer(weights, configuration.text)
        textProjection = try weights.linear("text_projection", in: configuration.text.hiddenSize, out: p, bias: false)
        promptGenerator =
            xclip
            ? try PromptGenerator(
                weights, width: p, layers: configuration.promptLayers,
                heads: configuration.promptNumAttentionHeads) : nil
        logitScale = Foundation.exp(try weights.tensor("logit_scale", [])[0])
        TensorMemory.freeKept()
    }

    /// Runs `body` with `call`'s settings, else this model's, where there are any.
    func withSettings<T>(_ call: RunSettings? = nil, _ body: () throws -> T) rethrows -> T {
        guard let settings = call ?? settings else { return try body() }
        return try settings.applied(body)
    }

    public var embeddingSize: Int { configuration.projectionDim }
    /// Whether a text's embedding is prompted by each video (X-CLIP); a CLIP checkpoint's is not.
    public var reranks: Bool { promptGenerator != nil }
    /// Visual tokens per segment handed to the prompt generator (none for CLIP).
    public var promptTokenCount: Int { reranks ? configuration.vision.grid * configuration.vision.grid : 0 }

    /// Encodes `videos` segments of pixel values [videos, frames, channels, size, size], with
    /// `settings` for this call (an ingest worker's one core), else the model's.
    public func encodeVideos(_ pixels: Tensor, settings: RunSettings? = nil) throws -> VideoEncoding {
        try withSettings(settings) { try encodeVideosHere(pixels) }
    }

    private func encodeVideosHere(_ pixels: Tensor) throws -> VideoEncoding {
        let v = configuration.vision
        let frameShape = [v.numFrames, v.numChannels, v.imageSize, v.imageSize]
        guard pixels.shape.count == 5, Array(pixels.shape.dropFirst()) == frameShape else {
            throw ModelError.badInput("pixel values of shape \(pixels.shape), expected [videos] + \(frameShape)")
        }
        let videos = pixels.shape[0]
        let p = configuration.projectionDim, c = v.hiddenSize
        let frames = v.numFrames, tokens = v.tokens, patches = tokens - 1

        // 4.2-4.5: the cross-frame vision transformer on all frames at once.
        let visionOut = vision.forward(pixels.data, videos: videos)
        // 4.5-4.6: projected class tokens through the MIT, mean over frames.
        let frameEmbeddings = visualProjection(visionOut.pooled)
        guard let mit, let promptsVisualLayerNorm, let promptsVisualProjection else {
            return clipMean(visionOut, frameEmbeddings: frameEmbeddings, videos: videos)
        }
        let mitOut = mit.forward(frameEmbeddings, videos: videos)

        // 4.7: prompt tokens. The projection is linear, so the frame mean is taken before it:
        // mean_t(LN(x_t)) P equals mean_t(LN(x_t) P) and costs one product instead of `frames`.
        let meanTokens = Tensor(shape: [videos * patches, c])
        let normed = Tensor(shape: [patches, c])
        for video in 0..<videos {
            let dst = meanTokens.data + video * patches * c
            for t in 0..<frames {
                let frame = visionOut.lastHiddenState.data + ((video * frames + t) * tokens + 1) * c
                promptsVisualLayerNorm.apply(frame, rows: patches, into: normed.data)
                add(normed.data, into: dst, count: patches * c)
            }
        }
        scale(meanTokens.data, by: 1 / Float(frames), count: meanTokens.count)
        let promptTokens = Tensor(shape: [videos, patches, p])
        BLAS.parallelGemm(
            m: videos * patches, n: p, k: c, a: meanTokens.data, lda: c,
            b: promptsVisualProjection.data, ldb: p, c: promptTokens.data, ldc: p)

        return VideoEncoding(
            embeddings: mitOut.pooled, promptTokens: promptTokens, frameEmbeddings: frameEmbeddings,
            visionLastHiddenState: visionOut.lastHiddenState, visionPooled: visionOut.pooled,
            mitLastHiddenState: mitOut.lastHiddenState)
    }

    /// A CLIP checkpoint's segment: the mean of its frames' normalized projected embeddings
    /// (each frame weighs the same, whatever its norm), and no prompt tokens.
    private func clipMean(_ visionOut: VisionTransformer.Output, frameEmbeddings: Tensor, videos: Int) -> VideoEncoding {
        let p = configuration.projectionDim, frames = configuration.vision.numFrames
        let normalized = Tensor(shape: [videos, frames, p])
        let means = Tensor(shape: [videos, p])
        for f in 0..<(videos * frames) {
            let row = frameEmbeddings.row(f), out = normalized.data + f * p
            let length = norm(row, count: p)
            for i in 0..<p { out[i] = length > 0 ? row[i] / length : 0 }
            add(out, into: means.row(f / frames), count: p)
        }
        scale(means.data, by: 1 / Float(frames), count: means.count)
        return VideoEncoding(
            embeddings: means, promptTokens: Tensor(shape: [videos, 0, p]), frameEmbeddings: frameEmbeddings,
            visionLastHiddenState: visionOut.lastHiddenState, visionPooled: visionOut.pooled,
            mitLastHiddenState: normalized)
    }

    /// The text embedding (projected, not normalized, no prompt) of one row of token ids.
    public func encodeText(_ ids: [Int]) throws -> [Float] {
        try withSettings { textProjection(try text.pooled(ids)).array }
    }

    /// The text embedding conditioned on one video: T + alpha * PromptGenerator(T, video tokens).
    /// `promptTokens` is one video's [patches, projection] block.
    public func promptedTextEmbeddings(_ texts: [[Float]], promptTokens: UnsafePointer<Float>) -> [[Float]] {
        withSettings { promptedTextEmbeddingsHere(texts, promptTokens: promptTokens) }
    }

    private func promptedTextEmbeddingsHere(_ texts: [[Float]], promptTokens: UnsafePointer<Float>) -> [[Float]] {
        guard let promptGenerator else { preconditionFailure("a CLIP checkpoint has no prompt generator (see reranks)") }
        let p = embeddingSize
        let flat = texts.flatMap { $0 }
        precondition(flat.count == texts.count * p, "text embeddings must have \(p) values")
        let out = flat.withUnsafeBufferPointer {
            promptGenerator.apply(texts: $0.baseAddress!, count: texts.count, visualTokens: promptTokens, tokens: promptTokenCount)
        }
        return (0..<texts.count).map { Array(UnsafeBufferPointer(start: out.row($0), count: p)) }
    }

    /// Cosine similarity, the score X-CLIP is trained with (before the logit scale).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                dot(x.baseAddress!, y.baseAddress!, count: a.count)
                    / (norm(x.baseAddress!, count: a.count) * norm(y.baseAddress!, count: b.count))
            }
        }
    }
}
