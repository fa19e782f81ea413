import Tensor

/// One vision encoder layer with cross-frame communication (the paper's CCT block; spec 4.4).
/// Each frame's class token becomes a message token; the messages of one video attend to each
/// other; each frame then attends over its own tokens plus its message, which is dropped before the MLP.
///
/// The residual stream is kept as [frames, tokens + 1, width]: the extra slot after each frame's
/// tokens holds that frame's message, so joining and dropping the message costs no copies.
/// The MLP runs over that slot too (2% more rows at B/32); its result there is never read.
struct CrossFrameLayer {
    let messageFC: Linear
    let messageLayerNorm: LayerNorm
    let messageAttention: SelfAttention
    let layerNorm1: LayerNorm
    let attention: SelfAttention
    let layerNorm2: LayerNorm
    let mlp: MLP

    init(_ weights: WeightStore, _ prefix: String, _ config: VisionConfiguration) throws {
        let c = config.hiddenSize, eps = config.layerNormEps
        messageFC = try weights.linear(prefix + ".message_fc", in: c, out: c)
        messageLayerNorm = try weights.layerNorm(prefix + ".message_ln", width: c, epsilon: eps)
        messageAttention = try SelfAttention(weights, prefix + ".message_attn", width: c, heads: config.numAttentionHeads)
        layerNorm1 = try weights.layerNorm(prefix + ".layer_norm1", width: c, epsilon: eps)
        attention = try SelfAttention(weights, prefix + ".self_attn", width: c, heads: config.numAttentionHeads)
        layerNorm2 = try weights.layerNorm(prefix + ".layer_norm2", width: c, epsilon: eps)
        mlp = try MLP(weights, prefix + ".mlp", width: c, hidden: config.intermediateSize)
    }

    /// x: [videos * frames, tokens + 1, width], frames of a video contiguous; updated in place.
    func apply(_ x: UnsafeMutablePointer<Float>, videos: Int, frames: Int, tokens: Int) {
        let c = layerNorm1.width
        let slots = tokens + 1
        let frameCount = videos * frames
        let frameStride = slots * c

        // 1. Message tokens from each frame's raw class token.
        let classTokens = Tensor(uninitialized: [frameCount, c])
        for f in 0..<frameCount { classTokens.row(f).update(from: x + f * frameStride, count: c) }
        let messages = Tensor(uninitialized: [frameCount, c])
        messageFC.apply(classTokens.data, rows: frameCount, into: messages.data)

        // 2. Messages exchange information across the frames of each video.
        let normedMessages = Tensor(uninitialized: [frameCount, c])
        messageLayerNorm.apply(messages.data, rows: frameCount, into: normedMessages.data)
        messageAttention.apply(normedMessages.data, sequences: videos, length: frames, addingTo: messages.data)

        // 3. Each frame's message joins that frame's tokens, in the slot after them.
        for f in 0..<frameCount { (x + f * frameStride + tokens * c).update(from: messages.row(f), count: c) }

        // 4. Intra-frame attention over the tokens and the message.
        let rows = frameCount * slots
        let normed = Tensor(uninitialized: [rows, c])
        layerNorm1.apply(x, rows: rows, into: normed.data)
        attention.apply(normed.data, sequences: frameCount, length: slots, addingTo: x)

        // 5-6. The message is dropped (its slot is ignored from here on); MLP on the tokens.
        layerNorm2.apply(x, rows: rows, into: normed.data)
        mlp.apply(normed.data, rows: rows, addingTo: x)
    }
}
