import Tensor

/// The multi-frame integration transformer (MIT, spec 4.6): frame embeddings plus positions
/// through pre-norm layers, the input added back around the whole transformer, then the mean over frames.
struct MultiFrameIntegration {
    let positionEmbedding: Tensor
    let layers: [EncoderLayer]
    let frames: Int

    init(_ weights: WeightStore, _ config: VisionConfiguration) throws {
        let width = config.mitHiddenSize
        frames = config.numFrames
        positionEmbedding = try weights.tensor("mit.position_embedding", [1, frames, width])
        layers = try (0..<config.mitNumHiddenLayers).map {
            try EncoderLayer(
                weights, "mit.encoder.layers.\($0)", width: width, hidden: config.mitIntermediateSize,
                heads: config.mitNumAttentionHeads, epsilon: config.layerNormEps)
        }
    }

    struct Output {
        /// [videos, frames, width], after the residual around the transformer.
        let lastHiddenState: Tensor
        /// [videos, width]: the video embedding (not normalized).
        let pooled: Tensor
    }

    /// frameEmbeddings: [videos * frames, width].
    func forward(_ frameEmbeddings: Tensor, videos: Int) -> Output {
        let width = positionEmbedding.columns
        let hidden = frameEmbeddings.reshaped([videos, frames, width])
        for v in 0..<videos { add(positionEmbedding.data, into: hidden.data + v * frames * width, count: frames * width) }
        for layer in layers { layer.apply(hidden.data, sequences: videos, length: frames, causal: false) }
        add(frameEmbeddings.data, into: hidden.data, count: hidden.count)

        let pooled = Tensor(shape: [videos, width])
        let inverse = 1 / Float(frames)
        for v in 0..<videos {
            for t in 0..<frames { add(hidden.data + (v * frames + t) * width, into: pooled.row(v), count: width) }
            scale(pooled.row(v), by: inverse, count: width)
        }
        return Output(lastHiddenState: hidden, pooled: pooled)
    }
}
