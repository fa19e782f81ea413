import Tensor

/// The vision tower: patch embeddings, class token and positions, pre layer norm, the
/// cross-frame layers, and the post layer norm of the class token (spec 4.2-4.5). For a CLIP
/// checkpoint the same tower without message tokens: plain encoder layers, each frame alone.
struct VisionTransformer {
    let config: VisionConfiguration
    /// X-CLIP's cross-frame communication: the layers exchange message tokens.
    let crossFrame: Bool
    /// The patch convolution as a matrix [width, channels * patch * patch].
    let patchEmbedding: Tensor
    let classEmbedding: Tensor
    let positionEmbedding: Tensor
    let preLayerNorm: LayerNorm
    let layers: [CrossFrameLayer]
    /// A CLIP checkpoint's layers (`layers` is empty then).
    let plainLayers: [EncoderLayer]
    let postLayerNorm: LayerNorm

    init(_ weights: WeightStore, _ config: VisionConfiguration, crossFrame: Bool = true) throws {
        self.config = config
        self.crossFrame = crossFrame
        let c = config.hiddenSize, p = config.patchSize, eps = config.layerNormEps
        let conv = try weights.tensor("vision_model.embeddings.patch_embedding.weight", [c, config.numChannels, p, p])
        patchEmbedding = conv.reshaped([c, config.numChannels * p * p])
        classEmbedding = try weights.tensor("vision_model.embeddings.class_embedding", [c])
        positionEmbedding = try weights.tensor("vision_model.embeddings.position_embedding.weight", [config.tokens, c])
        // transformers spells CLIP's "pre_layrnorm" so, and X-CLIP's "pre_layernorm".
        preLayerNorm = try weights.layerNorm(crossFrame ? "vision_model.pre_layernorm" : "vision_model.pre_layrnorm", width: c, epsilon: eps)
        let prefixes = (0..<config.numHiddenLayers).map { "vision_model.encoder.layers.\($0)" }
        layers = crossFrame ? try prefixes.map { try CrossFrameLayer(weights, $0, config) } : []
        plainLayers =
            crossFrame
            ? []
            : try prefixes.map {
                try EncoderLayer(
                    weights, $0, width: c, hidden: config.intermediateSize, heads: config.numAttentionHeads, epsilon: eps,
                    activation: config.hiddenAct)
            }
        postLayerNorm = try weights.layerNorm("vision_model.post_layernorm", width: c, epsilon: eps)
    }

    struct Output {
        /// [frames, tokens, width]: the last layer's output, without the post layer norm.
        let lastHiddenState: Tensor
        /// [frames, width]: the post layer norm of each frame's class token.
        let pooled: Tensor
    }

    /// pixels: [videos * frames, channels, size, size], normalized.
    func forward(_ pixels: UnsafePointer<Float>, videos: Int) -> Output {
        let frames = config.numFrames, frameCount = videos * frames
        let c = config.hiddenSize, p = config.patchSize, g = config.grid, size = config.imageSize
        let channels = config.numChannels, tokens = config.tokens, slots = crossFrame ? tokens + 1 : tokens
        let patchLength = channels * p * p

        // Patch convolution = im2col then one product for all frames.
        let columns = Tensor(uninitialized: [frameCount * g * g, patchLength])
        for f in 0..<frameCount {
            for gy in 0..<g {
                for gx in 0..<g {
                    var dst = columns.row((f * g + gy) * g + gx)
                    for ch in 0..<channels {
                        for py in 0..<p {
                            let src = pixels + ((f * channels + ch) * size + gy * p + py) * size + gx * p
                            dst.update(from: src, count: p)
                            dst += p
                        }
                    }
                }
            }
        }
        let patches = Tensor(uninitialized: [frameCount * g * g, c])
        BLAS.parallelGemm(
            transposeB: true, m: frameCount * g * g, n: c, k: patchLength,
            a: columns.data, lda: patchLength, b: patchEmbedding.data, ldb: patchLength,
            c: patches.data, ldc: c)

        // The stream, with one spare slot per frame for the message token (X-CLIP).
        let stream = Tensor(uninitialized: [frameCount, slots, c])
        for f in 0..<frameCount {
            let frame = stream.data + f * slots * c
            frame.update(from: classEmbedding.data, count: c)
            (frame + c).update(from: patches.row(f * g * g), count: g * g * c)
            add(positionEmbedding.data, into: frame, count: tokens * c)
            preLayerNorm.apply(frame, rows: tokens, into: frame)
        }

        for layer in layers {
            layer.apply(stream.data, videos: videos, frames: frames, tokens: tokens)
        }
        for layer in plainLayers {
            layer.apply(stream.data, sequences: frameCount, length: tokens, causal: false)
        }

        let last = Tensor(uninitialized: [frameCount, tokens, c])
        let pooled = Tensor(shape: [frameCount, c])
        for f in 0..<frameCount {
            (last.data + f * tokens * c).update(from: stream.data + f * slots * c, count: tokens * c)
            postLayerNorm.apply(last.data + f * tokens * c, rows: 1, into: pooled.row(f))
        }
        return Output(lastHiddenState: last, pooled: pooled)
    }
}
