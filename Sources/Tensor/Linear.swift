/// y = x W^T + b, with W stored [out, in] as PyTorch's nn.Linear keeps it, or packed in panels
/// (`panels`, f32 or f16: the text tower, whose products have a query's few rows and so read
/// more weight bytes than they compute with).
public struct Linear {
    /// The weight in nn.Linear's layout; empty when the layer keeps its weight in panels.
    public let weight: Tensor
    public let panels: PanelMatrix?
    public let bias: Tensor?
    /// The weight in oneDNN's layout, when ProductEngine says oneDNN (made on first use).
    private let dnnl = DNNLWeights()
    /// Only this layer reads `weight`, and only with more rows than FewRowProduct takes (the
    /// vision encoder's layers): its f32 memory may go once oneDNN holds a copy (DNNLWeights).
    public let releasable: Bool

    public init(weight: Tensor, bias: Tensor?, releasable: Bool = false) {
        precondition(weight.shape.count == 2, "linear weight must be 2-D, got \(weight.shape)")
        if let bias { precondition(bias.count == weight.shape[0], "bias \(bias.shape) for weight \(weight.shape)") }
        self.weight = weight
        self.panels = nil
        self.bias = bias
        self.releasable = releasable
    }

    public init(panels: PanelMatrix, bias: Tensor?) {
        if let bias { precondition(bias.count == panels.rows, "bias \(bias.shape) for weight [\(panels.rows), \(panels.columns)]") }
        self.weight = Tensor(shape: [0])
        self.panels = panels
        self.bias = bias
        self.releasable = false
    }

    public var inFeatures: Int { panels?.columns ?? weight.shape[1] }
    public var outFeatures: Int { panels?.rows ?? weight.shape[0] }

    /// output[rows, out] = input[rows, in] W^T + b (+ output when `accumulate`).
    public func apply(
        _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
        accumulate: Bool = false
    ) {
        guard rows > 0 else { return }
        let o = outFeatures
        if let bias, !accumulate {
            for r in 0..<rows { (output + r * o).update(from: bias.data, count: o) }
        } else if let bias {
            for r in 0..<rows { add(bias.data, into: output + r * o, count: o) }
        }
        if let panels {
            PanelProduct.apply(input, rows: rows, weight: panels, into: output, accumulate: bias != nil || accumulate)
            return
        }
        // With bf16 products few rows go to oneDNN too: the vision tower's message layers (a row
        // per frame) then read half the weight bytes (BENCHMARKS.md, model: the batch1 rows).
        let engine = ProductEngine.current
        if rows <= FewRowProduct.maxRows && engine != .onednnBF16 {
            if releasable { dnnl.restore(weight) }
            FewRowProduct.apply(
                input, rows: rows, inFeatures: inFeatures, weight: weight.data, outFeatures: o,
                into: output, accumulate: bias != nil || accumulate)
            return
        }
        if engine != .openblas {
            // oneDNN adds its product to what the output holds: the bias, the residual, or zeros.
            if bias == nil && !accumulate { output.update(repeating: 0, count: rows * o) }
            if dnnl.apply(
                weight: weight, rows: rows, input: input, output: output, bf16: engine == .onednnBF16,
                releasable: releasable)
            {
                ProductTally.count { engine == .onednnBF16 ? ($0.onednnBF16 += 1) : ($0.onednnF32 += 1) }
                return
            }
            // oneDNN could not: OpenBLAS f32 below, and the tally says so (a record then says f32).
            ProductTally.count { $0.fallbacks += 1 }
            if bias == nil && !accumulate { output.update(repeating: 0, count: rows * o) }
        }
        if releasable { dnnl.restore(weight) }
        BLAS.parallelGemm(
            transposeB: true, m: rows, n: o, k: inFeatures,
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
