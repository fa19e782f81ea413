import Tensor

/// The video-specific prompt generator (spec 4.9): text embeddings attend to a video's visual
/// tokens through cross-attention decoder layers; the result, scaled by the learned alpha, is
/// added to the text embedding. Each (video, text) pair is independent.
struct PromptGenerator {
    /// One decoder layer: X += proj(CrossAttn(norm1(X), V)); X += MLP(norm3(X)). q/k/v have no bias.
    struct DecoderLayer {
        let norm1: LayerNorm
        let query: Linear
        let key: Linear
        let value: Linear
        let proj: Linear
        let norm3: LayerNorm
        let mlp: MLP
        let heads: Int

        init(_ weights: WeightStore, _ prefix: String, width: Int, heads: Int) throws {
            norm1 = try weights.layerNorm(prefix + ".norm1", width: width, epsilon: 1e-5)
            query = try weights.linear(prefix + ".cross_attn.q_proj", in: width, out: width, bias: false)
            key = try weights.linear(prefix + ".cross_attn.k_proj", in: width, out: width, bias: false)
            value = try weights.linear(prefix + ".cross_attn.v_proj", in: width, out: width, bias: false)
            proj = try weights.linear(prefix + ".cross_attn.proj", in: width, out: width)
            norm3 = try weights.layerNorm(prefix + ".norm3", width: width, epsilon: 1e-5)
            mlp = MLP(
                fc1: try weights.linear(prefix + ".mlp.0", in: width, out: 4 * width),
                fc2: try weights.linear(prefix + ".mlp.3", in: 4 * width, out: width))
            self.heads = heads
        }
    }

    let layerNorm: LayerNorm
    let layers: [DecoderLayer]
    let alpha: Tensor

    init(_ weights: WeightStore, width: Int, layers count: Int, heads: Int) throws {
        layerNorm = try weights.layerNorm("prompts_generator.layernorm", width: width, epsilon: 1e-5)
        layers = try (0..<count).map {
            try DecoderLayer(weights, "prompts_generator.decoder.\($0)", width: width, heads: heads)
        }
        alpha = try weights.tensor("prompts_generator.alpha", [width])
    }

    var width: Int { alpha.count }

    /// The video-conditioned text embeddings E = T + alpha * X for `texts` rows of T [texts, width]
    /// against one video's visual tokens [tokens, width]. This is the plain form of the spec.
    func apply(texts t: UnsafePointer<Float>, count: Int, visualTokens v: UnsafePointer<Float>, tokens: Int) -> Tensor {
        let w = width
        let visual = Tensor(shape: [tokens, w])
        layerNorm.apply(v, rows: tokens, into: visual.data)
        let x = Tensor(shape: [count, w])
        x.data.update(from: t, count: count * w)
        let normed = Tensor(shape: [count, w]), q = Tensor(shape: [count, w]), context = Tensor(shape: [count, w])
        let k = Tensor(shape: [tokens, w]), vv = Tensor(shape: [tokens, w])
        for layer in layers {
            layer.norm1.apply(x.data, rows: count, into: normed.data)
            layer.query.apply(normed.data, rows: count, into: q.data)
            layer.key.apply(visual.data, rows: tokens, into: k.data)
            layer.value.apply(visual.data, rows: tokens, into: vv.data)
            attend(
                queries: q.data, queryStride: w, queryCount: count, keys: k.data, values: vv.data,
                keyStride: w, keyCount: tokens, heads: layer.heads, headDim: w / layer.heads, causal: false,
                output: context.data, outputStride: w)
            layer.proj.apply(context.data, rows: count, into: x.data, accumulate: true)
            layer.norm3.apply(x.data, rows: count, into: normed.data)
            layer.mlp.apply(normed.data, rows: count, addingTo: x.data)
        }
        let out = Tensor(shape: [count, w])
        for r in 0..<count {
            for i in 0..<w { out.data[r * w + i] = t[r * w + i] + alpha.data[i] * x.data[r * w + i] }
        }
        return out
    }
}
