import Tensor

/// fc2(act(fc1(x))), the feed-forward block of every transformer layer: quick_gelu in X-CLIP and
/// OpenAI's CLIP, the exact gelu in LAION's CLIP checkpoints.
struct MLP {
    let fc1: Linear
    let fc2: Linear
    /// The config's hidden_act; XCLIPConfiguration.validate admits only these two.
    let exactGELU: Bool

    init(fc1: Linear, fc2: Linear) {
        self.fc1 = fc1
        self.fc2 = fc2
        exactGELU = false
    }

    init(_ weights: WeightStore, _ prefix: String, width: Int, hidden: Int, activation: String = "quick_gelu", compact: Bool = false) throws {
        fc1 = try weights.linear(prefix + ".fc1", in: width, out: hidden, compact: compact)
        fc2 = try weights.linear(prefix + ".fc2", in: hidden, out: width, compact: compact)
        exactGELU = activation == "gelu"
    }

    /// residual += MLP(x) over `rows` rows.
    func apply(_ x: UnsafePointer<Float>, rows: Int, addingTo residual: UnsafeMutablePointer<Float>) {
        let hidden = Tensor(uninitialized: [rows, fc1.outFeatures])
        fc1.apply(x, rows: rows, into: hidden.data)
        if exactGELU { gelu(hidden.data, count: hidden.count) } else { quickGELU(hidden.data, count: hidden.count) }
        fc2.apply(hidden.data, rows: rows, into: residual, accumulate: true)
    }
}
