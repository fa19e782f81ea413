/// y = x W^T + b, with W stored [out, in] as PyTorch's nn.Linear keeps it: in f32, or in f16
/// (`halfWeight`, for the text tower of an f16 checkpoint, whose products read more weight bytes
/// than they compute with).
public struct Linear {
    /// The f32 weight; empty when the layer keeps f16 weights.
    public let weight: Tensor
    public let halfWeight: HalfMatrix?
    public let bias: Tensor?
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.shape.count == 2, "linear weight must be 2-D, got \(weight.shape)")
        if let bias { precondition(bias.count == weight.shape[0], "bias \(bias.shape) for weight \(weight.shape)") }
        self.weight = weight
        self.halfWeight = nil
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
    }

    public init(halfWeight: HalfMatrix, bias: Tensor?) {
        if let bias { precondition(bias.count == halfWeight.rows, "bias \(bias.shape) for weight [\(halfWeight.rows), \(halfWeight.columns)]") }
        self.weight = Tensor(shape: [0])
        self.halfWeight = halfWeight
        self.bias = bias
        outFeatures = halfWeight.rows
        inFeatures = halfWeight.columns
    }

    /// output[rows, out] = input[rows, in] W^T + b (+ output when `accumulate`).
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
                      accumulate: Bool = false) {
        guard rows > 0 else { return }
        let o = outFeatures
        if let bias, !accumulate {
            for r in 0..<rows { (output + r * o).update(from: bias.data, count: o) }
        } else if let bias {
            for r in 0..<rows { add(bias.data, into: output + r * o, count: o) }
        }
        if let halfWeight {
            FewRowProduct.apply(input, rows: rows, inFeatures: inFeatures, weight: halfWeight.data, outFeatures: o,
                                into: output, accumulate: bias != nil || accumulate)
            return
        }
        if rows <= FewRowProduct.maxRows {
            FewRowProduct.apply(input, rows: rows, inFeatures: inFeatures, weight: weight.data, outFeatures: o,
                                into: output, accumulate: bias != nil || accumulate)
            return
        }
        BLAS.parallelGemm(transposeB: true, m: rows, n: o, k: inFeatures,
                          a: input, lda: inFeatures, b: weight.data, ldb: inFeatures,
                          beta: (bias != nil || accumulate) ? 1 : 0, c: output, ldc: o)
    }

    /// A new [rows, out] tensor.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.columns == inFeatures, "linear expects \(inFeatures) features, got \(input.shape)")
        let out = Tensor(uninitialized: Array(input.shape.dropLast()) + [outFeatures])
        apply(input.data, rows: input.rows, into: out.data)
        return out
    }
}
