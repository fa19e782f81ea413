import Tensor

/// The text tower (spec 4.8): token and position embeddings, causal pre-norm layers, the final
/// layer norm at the pooled position. Pooling is at the first occurrence of the largest id (the
/// end token); with the causal mask nothing after it matters, so only tokens up to it are computed.
struct TextTransformer {
    let config: TextConfiguration
    let tokenEmbedding: Tensor
    let positionEmbedding: Tensor
    let layers: [EncoderLayer]
    let finalLayerNorm: LayerNorm

    init(_ weights: WeightStore, _ config: TextConfiguration) throws {
        self.config = config
        let c = config.hiddenSize
        tokenEmbedding = try weights.tensor("text_model.embeddings.token_embedding.weight", [config.vocabSize, c])
        positionEmbedding = try weights.tensor("text_model.embeddings.position_embedding.weight", [config.maxPositionEmbeddings, c])
        layers = try (0..<config.numHiddenLayers).map {
            // Compact: a query reads every text weight for a few rows; panels read them once, in order.
            try EncoderLayer(
                weights, "text_model.encoder.layers.\($0)", width: c, hidden: config.intermediateSize,
                heads: config.numAttentionHeads, epsilon: config.layerNormEps, activation: config.hiddenAct, compact: true)
        }
        finalLayerNorm = try weights.layerNorm("text_model.final_layer_norm", width: c, epsilon: config.layerNormEps)
    }

    /// The pooled [width] output for one row of token ids.
    func pooled(_ ids: [Int]) throws -> Tensor {
        guard !ids.isEmpty else { throw ModelError.badInput("a text needs at least one token") }
        guard ids.count <= config.maxPositionEmbeddings else {
            throw ModelError.badInput("\(ids.count) tokens exceed the \(config.maxPositionEmbeddings)-token context")
        }
        if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw ModelError.badInput("token id \(bad) is outside the vocabulary of \(config.vocabSize)")
        }
        let end = ids.indices.max { ids[$0] < ids[$1] || (ids[$0] == ids[$1] && $0 > $1) }!
        let length = end + 1
        let c = config.hiddenSize
        let x = Tensor(shape: [length, c])
        for i in 0..<length {
            x.row(i).update(from: tokenEmbedding.row(ids[i]), count: c)
            add(positionEmbedding.row(i), into: x.row(i), count: c)
        }
        for layer in layers { layer.apply(x.data, sequences: 1, length: length, causal: true) }
        let out = Tensor(shape: [c])
        finalLayerNorm.apply(x.row(end), rows: 1, into: out.data)
        return out
    }
}
