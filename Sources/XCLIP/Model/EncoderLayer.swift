import Tensor

/// The standard pre-norm transformer layer of the text encoder and the MIT:
/// h = x + SelfAttention(LN1(x)); y = h + MLP(LN2(h)).
struct EncoderLayer {
    let layerNorm1: LayerNorm
    let attention: SelfAttention
    let layerNorm2: LayerNorm
    let mlp: MLP

    /// `compact`: weights packed in panels for few-row products, f16 where stored so (the text tower, see Linear).
    init(
        _ weights: WeightStore, _ prefix: String, width: Int, hidden: Int, heads: Int, epsilon: Float,
        activation: String = "quick_gelu", compact: Bool = false
    ) throws {
        layerNorm1 = try weights.layerNorm(prefix + ".layer_norm1", width: width, epsilon: epsilon)
        attention = try SelfAttention(weights, prefix + ".self_attn", width: width, heads: heads, compact: compact)
        layerNorm2 = try weights.layerNorm(prefix + ".layer_norm2", width: width, epsilon: epsilon)
        mlp = try MLP(weights, prefix + ".mlp", width: width, hidden: hidden, activation: activation, compact: compact)
    }

    /// Updates x [sequences * length, width] in place.
    func apply(_ x: UnsafeMutablePointer<Float>, sequences: Int, length: Int, causal: Bool) {
        let rows = sequences * length
        let normed = Tensor(uninitialized: [rows, layerNorm1.width])
        layerNorm1.apply(x, rows: rows, into: normed.data)
        attention.apply(normed.data, sequences: sequences, length: length, causal: causal, addingTo: x)
        layerNorm2.apply(x, rows: rows, into: normed.data)
        mlp.apply(normed.data, rows: rows, addingTo: x)
    }
}
