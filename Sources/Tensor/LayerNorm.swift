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
    public func apply(
        _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
        inputStride: Int? = nil, outputStride: Int? = nil
    ) {
        let n = width
        let inStride = inputStride ?? n, outStride = outputStride ?? n
        parallelChunks(rows, minimumPerChunk: max(1, 65_536 / max(n, 1))) { range in
            for r in range { normalizeRow(input + r * inStride, into: output + r * outStride) }
        }
    }

    /// Two passes (mean, then centered variance: stable for CLIP's outlier channels), 8 lanes wide.
    @inline(__always)
    private func normalizeRow(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let n = width
        let vectors = n / 8
        let xr = UnsafeRawPointer(x), yr = UnsafeMutableRawPointer(y)
        let wr = UnsafeRawPointer(weight.data), br = UnsafeRawPointer(bias.data)
        var sum8 = SIMD8<Float>(repeating: 0)
        for v in 0..<vectors { sum8 += xr.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) }
        var sum = sum8.sum()
        for i in (vectors * 8)..<n { sum += x[i] }
        let mean = sum / Float(n)
        var sq8 = SIMD8<Float>(repeating: 0)
        for v in 0..<vectors {
            let d = xr.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) - mean
            sq8 += d * d
        }
        var sq = sq8.sum()
        for i in (vectors * 8)..<n {
            let d = x[i] - mean
            sq += d * d
        }
        let inv = 1 / (sq / Float(n) + epsilon).squareRoot()
        for v in 0..<vectors {
            let d = xr.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) - mean
            let out =
                d * inv * wr.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
                + br.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
            yr.storeBytes(of: out, toByteOffset: v * 32, as: SIMD8<Float>.self)
        }
        for i in (vectors * 8)..<n { y[i] = (x[i] - mean) * inv * weight.data[i] + bias.data[i] }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.columns == width, "layer norm of width \(width) on \(input.shape)")
        let out = Tensor(uninitialized: input.shape)
        apply(input.data, rows: input.rows, into: out.data)
        return out
    }
}
