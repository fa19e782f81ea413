import Tensor

/// The prompt generator for one text against many videos, with the key and value maps folded
/// into the query side. It computes exactly what PromptGenerator.apply does, in another order.
///
/// With a single query token q (per video) and visual tokens v_j, head h's attention is
///   score_j = (Wq x)_h . (Wk v_j)_h / sqrt(d) = v_j . u_h / sqrt(d),   u_h = Wk_h^T (Wq x)_h
///   context_h = sum_j p_j (Wv v_j)_h = Wv_h (sum_j p_j v_j)
/// where Wk_h, Wv_h are head h's d rows. So each video costs two small products over its raw
/// tokens (H x P by P x N, and H x N by N x P) instead of projecting all N tokens through Wk
/// and Wv; the projections, `proj` and the MLP run once for all videos as matrix products.
extension PromptGenerator {
    /// E[c] = t + alpha * X[c] for `count` videos whose tokens are [count, tokens, width].
    func applyFolded(text t: UnsafePointer<Float>, visualTokens: UnsafePointer<Float>, count: Int, tokens n: Int) -> Tensor {
        let w = width
        // Layer norm of every video's tokens (the generator's input norm).
        let visual = Tensor(shape: [count, n, w])
        layerNorm.apply(visualTokens, rows: count * n, into: visual.data)
        let x = Tensor(shape: [count, w])
        for c in 0..<count { x.row(c).update(from: t, count: w) }
        let normed = Tensor(shape: [count, w]), q = Tensor(shape: [count, w]), context = Tensor(shape: [count, w])
        for layer in layers {
            let heads = layer.heads, d = w / heads
            let u = Tensor(shape: [count, heads, w])
            let pooled = Tensor(shape: [count, heads, w])
            let scores = Tensor(shape: [heads, n])
            layer.norm1.apply(x.data, rows: count, into: normed.data)
            layer.query.apply(normed.data, rows: count, into: q.data)
            // u[c, h] = q[c, h-chunk] (1 x d) times Wk[h rows] (d x w), all videos at once per head.
            for h in 0..<heads {
                BLAS.gemm(m: count, n: w, k: d, a: q.data + h * d, lda: w, b: layer.key.weight.data + h * d * w, ldb: w,
                          c: u.data + h * w, ldc: heads * w)
            }
            let scale = 1 / Float(d).squareRoot()
            for c in 0..<count {
                let v = visual.data + c * n * w
                BLAS.gemm(transposeB: true, m: heads, n: n, k: w, alpha: scale, a: u.data + c * heads * w, lda: w,
                          b: v, ldb: w, c: scores.data, ldc: n)
                softmaxRows(scores.data, rows: heads, columns: n)
                BLAS.gemm(m: heads, n: w, k: n, a: scores.data, lda: n, b: v, ldb: w, c: pooled.data + c * heads * w, ldc: w)
            }
            // context[c, h-chunk] = pooled[c, h] (1 x w) times Wv[h rows]^T (w x d).
            for h in 0..<heads {
                BLAS.gemm(transposeB: true, m: count, n: d, k: w, a: pooled.data + h * w, lda: heads * w,
                          b: layer.value.weight.data + h * d * w, ldb: w, c: context.data + h * d, ldc: w)
            }
            layer.proj.apply(context.data, rows: count, into: x.data, accumulate: true)
            layer.norm3.apply(x.data, rows: count, into: normed.data)
            layer.mlp.apply(normed.data, rows: count, addingTo: x.data)
        }
        let out = Tensor(shape: [count, w])
        for c in 0..<count {
            for i in 0..<w { out.data[c * w + i] = t[i] + alpha.data[i] * x.data[c * w + i] }
        }
        return out
    }
}

extension XCLIPModel {
    /// One text embedding prompted by each of `count` videos' tokens ([count, patches, projection]):
    /// [count, projection]. The folded form of `promptedTextEmbeddings`, for reranking.
    public func promptedTextEmbedding(_ text: [Float], videos tokens: UnsafePointer<Float>, count: Int) -> Tensor {
        precondition(text.count == embeddingSize, "text embedding must have \(embeddingSize) values")
        return text.withUnsafeBufferPointer {
            promptGenerator.applyFolded(text: $0.baseAddress!, visualTokens: tokens, count: count, tokens: promptTokenCount)
        }
    }
}
