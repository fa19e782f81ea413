import CIntrinsics
import Tensor

/// The core of multi-head attention, shared by every attention in the model: for each of
/// `sequences` independent sequences and each head, softmax(scale * q k^T [+ causal mask]) v,
/// written into `output`. q, k, v and output are row-major with their own row strides (often
/// column slices of one fused [rows, 3C] buffer); sequence s owns query and output rows
/// s*queryCount ..< (s+1)*queryCount and key rows s*keyCount ..< (s+1)*keyCount; head h owns
/// channels h*d ..< (h+1)*d. The (sequence, head) pairs are independent and shared out over the cores.
func attend(
    queries q: UnsafePointer<Float>, queryStride: Int, queryCount: Int,
    keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, keyStride: Int, keyCount: Int,
    sequences: Int = 1, heads: Int, headDim: Int, causal: Bool,
    output: UnsafeMutablePointer<Float>, outputStride: Int
) {
    let scale = 1 / Float(headDim).squareRoot()
    let pairs = sequences * heads
    let work = pairs * queryCount * keyCount * headDim
    parallelChunks(pairs, minimumPerChunk: work < 1 << 18 ? pairs : 1) { range in
        let scores = Tensor(uninitialized: [queryCount, keyCount])
        // CLIP's 64-dimension heads over short sequences: our kernels (BLAS would mostly pack).
        let own = headDim == 64
        let transposed = Tensor(uninitialized: [own ? 64 * ((keyCount + 7) / 8 * 8) : 0])
        for pair in range {
            let s = pair / heads, offset = (pair % heads) * headDim
            let qs = q + s * queryCount * queryStride + offset
            let ks = k + s * keyCount * keyStride + offset, vs = v + s * keyCount * keyStride + offset
            let out = output + s * queryCount * outputStride + offset
            if own {
                vs_attention_scores64(
                    qs, Int64(queryStride), Int64(queryCount), ks, Int64(keyStride), Int64(keyCount),
                    scale, scores.data, transposed.data)
            } else {
                BLAS.gemm(
                    transposeB: true, m: queryCount, n: keyCount, k: headDim, alpha: scale,
                    a: qs, lda: queryStride, b: ks, ldb: keyStride, c: scores.data, ldc: keyCount)
            }
            if causal {
                for i in 0..<queryCount where i + 1 < keyCount {
                    (scores.data + i * keyCount + i + 1).update(repeating: -.infinity, count: keyCount - i - 1)
                }
            }
            softmaxRows(scores.data, rows: queryCount, columns: keyCount)
            if own {
                vs_attention_values64(scores.data, Int64(queryCount), Int64(keyCount), vs, Int64(keyStride), out, Int64(outputStride))
            } else {
                BLAS.gemm(
                    m: queryCount, n: headDim, k: keyCount, a: scores.data, lda: keyCount, b: vs, ldb: keyStride,
                    c: out, ldc: outputStride)
            }
        }
    }
}

/// Self-attention with q/k/v/out projections (all with bias), as CLIPAttention.
struct SelfAttention {
    let qkv: Linear
    let out: Linear
    let heads: Int

    init(_ weights: WeightStore, _ prefix: String, width: Int, heads: Int, compact: Bool = false) throws {
        qkv = try weights.fusedQKV(prefix, width: width, compact: compact)
        out = try weights.linear(prefix + ".out_proj", in: width, out: width, compact: compact)
        self.heads = heads
    }

    var width: Int { out.outFeatures }

    /// residual[s*L + i] += Attention(x)[s*L + i] for `sequences` independent sequences of `length` rows.
    func apply(
        _ x: UnsafePointer<Float>, sequences: Int, length: Int, causal: Bool = false,
        addingTo residual: UnsafeMutablePointer<Float>
    ) {
        let c = width, rows = sequences * length
        let projected = Tensor(uninitialized: [rows, 3 * c])
        qkv.apply(x, rows: rows, into: projected.data)
        let context = Tensor(uninitialized: [rows, c])
        attend(
            queries: projected.data, queryStride: 3 * c, queryCount: length,
            keys: projected.data + c, values: projected.data + 2 * c, keyStride: 3 * c, keyCount: length,
            sequences: sequences, heads: heads, headDim: c / heads, causal: causal,
            output: context.data, outputStride: c)
        out.apply(context.data, rows: rows, into: residual, accumulate: true)
    }
}
