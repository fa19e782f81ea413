/// Layer normalization over the last axis with the biased (population) variance.
public struct LayerNorm {
    public let weight: Tensor
    public let bias: Tensor
    public let epsilon: Float

    public init(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) {
        precondition(weight.count == bias.count, "layer norm weight \(weight.shape) and bias \(bias.shape)")
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    public var width: Int { weight.count }

    /// output[r] = (input[r] - mean) / sqrt(var + eps) * weight + bias; output may equal input.
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
                      inputStride: Int? = nil, outputStride: Int? = nil) {
        let n = width
        let inStride = inputStride ?? n, outStride = outputStride ?? n
        let w = weight.data, b = bias.data
        for r in 0..<rows {
            let x = input + r * inStride
            let y = output + r * outStride
            // Two passes in double-free float: mean, then centered variance (stable for CLIP's outliers).
            var sum: Float = 0
            for i in 0..<n { sum += x[i] }
            let mean = sum / Float(n)
            var sq: Float = 0
            for i in 0..<n { let d = x[i] - mean; sq += d * d }
            let inv = 1 / (sq / Float(n) + epsilon).squareRoot()
            for i in 0..<n { y[i] = (x[i] - mean) * inv * w[i] + b[i] }
        }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.columns == width, "layer norm of width \(width) on \(input.shape)")
        let out = Tensor(uninitialized: input.shape)
        apply(input.data, rows: input.rows, into: out.data)
        return out
    }
}
