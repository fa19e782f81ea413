import Tensor

/// The core of multi-head attention, shared by every attention in the model:
/// for each head, softmax(scale * q k^T [+ causal mask]) v, written into `output`.
/// q, k, v and output are row-major with their own row strides (they are often column
/// slices of one fused [rows, 3C] buffer); head h owns channels h*d ..< (h+1)*d.
func attend(queries q: UnsafePointer<Float>, queryStride: Int, queryCount: Int,
            keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, keyStride: Int, keyCount: Int,
            heads: Int, headDim: Int, causal: Bool,
            output: UnsafeMutablePointer<Float>, outputStride: Int, scores: UnsafeMutablePointer<Float>) {
    let scale = 1 / Float(headDim).squareRoot()
    for h in 0..<heads {
        let offset = h * headDim
        BLAS.gemm(transposeB: true, m: queryCount, n: keyCount, k: headDim, alpha: scale,
                  a: q + offset, lda: queryStride, b: k + offset, ldb: keyStride, c: scores, ldc: keyCount)
        if causal {
            for i in 0..<queryCount where i + 1 < keyCount {
                (scores + i * keyCount + i + 1).update(repeating: -.infinity, count: keyCount - i - 1)
            }
        }
        softmaxRows(scores, rows: queryCount, columns: keyCount)
        BLAS.gemm(m: queryCount, n: headDim, k: keyCount,
                  a: scores, lda: keyCount, b: v + offset, ldb: keyStride, c: output + offset, ldc: outputStride)
    }
}

/// Self-attention with q/k/v/out projections (all with bias), as CLIPAttention.
struct SelfAttention {
    let qkv: Linear
    let out: Linear
    let heads: Int

    init(_ weights: WeightStore, _ prefix: String, width: Int, heads: Int) throws {
        qkv = try weights.fusedQKV(prefix, width: width)
        out = try weights.linear(prefix + ".out_proj", in: width, out: width)
        self.heads = heads
    }

    var width: Int { out.outFeatures }

    /// residual[s*L + i] += Attention(x)[s*L + i] for `sequences` independent sequences of `length` rows.
    func apply(_ x: UnsafePointer<Float>, sequences: Int, length: Int, causal: Bool = false,
               addingTo residual: UnsafeMutablePointer<Float>) {
        let c = width, rows = sequences * length
        let projected = Tensor(uninitialized: [rows, 3 * c])
        qkv.apply(x, rows: rows, into: projected.data)
        let context = Tensor(uninitialized: [rows, c])
        let scores = Tensor(uninitialized: [length, length])
        for s in 0..<sequences {
            let base = projected.data + s * length * 3 * c
            attend(queries: base, queryStride: 3 * c, queryCount: length,
                   keys: base + c, values: base + 2 * c, keyStride: 3 * c, keyCount: length,
                   heads: heads, headDim: c / heads, causal: causal,
                   output: context.data + s * length * c, outputStride: c, scores: scores.data)
        }
        out.apply(context.data, rows: rows, into: residual, accumulate: true)
    }
}
