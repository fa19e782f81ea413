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
///
/// In the first layer every video's query row is the same text, so its query and u are computed
/// once. The per-video products run on every core, each core taking a share of the videos.
///
/// The videos go through in blocks of `block`, the last one filled up with copies of its first
/// video: every product then has the same number of rows whatever the candidates are, so a
/// video's score does not depend on how many others are reranked with it (a product's rounding
/// can depend on its row count, and shards searched side by side must rank as their merge does).
extension PromptGenerator {
    static let block = FewRowProduct.maxRows

    /// E[c] = t + alpha * X[c] for `count` videos whose tokens are [count, tokens, width].
    func applyFolded(text t: UnsafePointer<Float>, visualTokens: UnsafePointer<Float>, count: Int, tokens n: Int) -> Tensor {
        let w = width, block = Self.block
        let out = Tensor(uninitialized: [count, w])
        let padded = Tensor(uninitialized: [block, n, w])
        for first in stride(from: 0, to: count, by: block) {
            let taken = min(block, count - first)
            var tokens = visualTokens + first * n * w
            if taken < block {
                padded.data.update(from: tokens, count: taken * n * w)
                for c in taken..<block { (padded.data + c * n * w).update(from: tokens, count: n * w) }
                tokens = UnsafePointer(padded.data)
            }
            let x = applyFoldedBlock(visualTokens: tokens, count: block, tokens: n, text: t)
            for c in 0..<taken {
                let o = out.data + (first + c) * w, xc = x.data + c * w
                for i in 0..<w { o[i] = t[i] + alpha.data[i] * xc[i] }
            }
        }
        return out
    }

    /// X for `count` videos (the generator's output before alpha and the text are added).
    private func applyFoldedBlock(visualTokens: UnsafePointer<Float>, count: Int, tokens n: Int, text t: UnsafePointer<Float>) -> Tensor {
        let w = width
        // Layer norm of every video's tokens (the generator's input norm).
        let visual = Tensor(uninitialized: [count, n, w])
        layerNorm.apply(visualTokens, rows: count * n, into: visual.data)
        let x = Tensor(uninitialized: [count, w])
        for c in 0..<count { x.row(c).update(from: t, count: w) }
        let normed = Tensor(uninitialized: [count, w]), q = Tensor(uninitialized: [count, w])
        let context = Tensor(uninitialized: [count, w])
        for (index, layer) in layers.enumerated() {
            let heads = layer.heads, d = w / heads
            // Rows of x that differ: one before the first layer has mixed in any video.
            let rows = index == 0 ? 1 : count
            let u = Tensor(uninitialized: [rows, heads, w])
            let pooled = Tensor(uninitialized: [heads, count, w])
            layer.norm1.apply(x.data, rows: rows, into: normed.data)
            layer.query.apply(normed.data, rows: rows, into: q.data)
            // u[c, h] = q[c, h-chunk] (1 x d) times Wk[h rows] (d x w), every row at once per head.
            // These products and the ones below are our own kernels, whose every row is computed
            // alike whatever the others are (sgemm's rows are not: its tiles round differently).
            acrossHeads(heads) { h in
                weightedSum(
                    q.data + h * d, rows: rows, weightStride: w, vectors: layer.key.weight.data + h * d * w, count: d,
                    width: w, into: u.data + h * w, outStride: heads * w)
            }
            let scale = 1 / Float(d).squareRoot()
            for i in 0..<u.count { u.data[i] *= scale }
            parallelChunks(count, minimumPerChunk: 8) { range in
                let scores = Tensor(uninitialized: [heads, n])
                for c in range {
                    let v = visual.data + c * n * w
                    let uc = u.data + (rows == 1 ? 0 : c) * heads * w
                    // scores[h, j] = u[c, h] . v_j / sqrt(d): the few-row product with the video's tokens as the "weights".
                    FewRowProduct.serial(
                        uc, rows: heads, inFeatures: w, weight: v, outFeatures: n,
                        into: scores.data, accumulate: false)
                    softmaxRows(scores.data, rows: heads, columns: n)
                    weightedSum(
                        scores.data, rows: heads, weightStride: n, vectors: v, count: n, width: w,
                        into: pooled.data + c * w, outStride: count * w)
                }
            }
            // context[c, h-chunk] = pooled[h, c] (1 x w) times Wv[h rows]^T (w x d), every video at once per head.
            let perHead = Tensor(uninitialized: [heads, count, d])
            acrossHeads(heads) { h in
                FewRowProduct.serial(
                    pooled.data + h * count * w, rows: count, inFeatures: w, weight: layer.value.weight.data + h * d * w,
                    outFeatures: d, into: perHead.data + h * count * d, accumulate: false)
            }
            for h in 0..<heads {
                for c in 0..<count { (context.data + c * w + h * d).update(from: perHead.data + (h * count + c) * d, count: d) }
            }
            if rows == 1 {
                for c in 1..<count { x.row(c).update(from: x.data, count: w) }
            }
            layer.proj.apply(context.data, rows: count, into: x.data, accumulate: true)
            layer.norm3.apply(x.data, rows: count, into: normed.data)
            layer.mlp.apply(normed.data, rows: count, addingTo: x.data)
        }
        return x
    }
}

/// body(h) for every head, the heads shared among the cores: each head's product is too small
/// to split over the cores, and sharing out whole heads was the faster of the two in
/// development (the rerank's speed now: BENCHMARKS.md, `query.rerank100.folded`).
private func acrossHeads(_ heads: Int, _ body: (Int) -> Void) {
    let parts = min(heads, Parallel.cores * 2)
    parallelFor(parts) { part in
        for h in (part * heads / parts)..<((part + 1) * heads / parts) { body(h) }
    }
}

/// out[r] = sum_j weights[r, j] * vectors[j] for `rows` rows of weights (`weightStride` apart) over
/// `count` vectors of `width` floats, the output rows `outStride` apart: two rows and 32 output
/// lanes at a time, so each vector block loaded serves both rows (eight accumulators, four loads
/// and two broadcasts per eight multiply-adds). Each row's sums are the same whatever the others.
private func weightedSum(
    _ weights: UnsafePointer<Float>, rows: Int, weightStride: Int, vectors: UnsafePointer<Float>, count: Int,
    width: Int, into out: UnsafeMutablePointer<Float>, outStride: Int
) {
    typealias V = SIMD8<Float>
    let raw = UnsafeRawPointer(vectors), target = UnsafeMutableRawPointer(out)
    let blocks = width / 32
    for r in stride(from: 0, to: rows, by: 2) {
        // An odd last row pairs with itself; its second copy is not stored.
        let p = weights + r * weightStride, q = weights + min(r + 1, rows - 1) * weightStride
        let o = r * outStride * 4, o2 = min(r + 1, rows - 1) * outStride * 4
        for b in 0..<blocks {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V(), c0 = V(), c1 = V(), c2 = V(), c3 = V()
            for j in 0..<count {
                let base = (j * width + b * 32) * 4
                let v0 = raw.loadUnaligned(fromByteOffset: base, as: V.self)
                let v1 = raw.loadUnaligned(fromByteOffset: base + 32, as: V.self)
                let v2 = raw.loadUnaligned(fromByteOffset: base + 64, as: V.self)
                let v3 = raw.loadUnaligned(fromByteOffset: base + 96, as: V.self)
                let s = V(repeating: p[j]), t = V(repeating: q[j])
                a0 = a0.addingProduct(s, v0)
                a1 = a1.addingProduct(s, v1)
                a2 = a2.addingProduct(s, v2)
                a3 = a3.addingProduct(s, v3)
                c0 = c0.addingProduct(t, v0)
                c1 = c1.addingProduct(t, v1)
                c2 = c2.addingProduct(t, v2)
                c3 = c3.addingProduct(t, v3)
            }
            target.storeBytes(of: a0, toByteOffset: o + b * 128, as: V.self)
            target.storeBytes(of: a1, toByteOffset: o + b * 128 + 32, as: V.self)
            target.storeBytes(of: a2, toByteOffset: o + b * 128 + 64, as: V.self)
            target.storeBytes(of: a3, toByteOffset: o + b * 128 + 96, as: V.self)
            if r + 1 < rows {
                target.storeBytes(of: c0, toByteOffset: o2 + b * 128, as: V.self)
                target.storeBytes(of: c1, toByteOffset: o2 + b * 128 + 32, as: V.self)
                target.storeBytes(of: c2, toByteOffset: o2 + b * 128 + 64, as: V.self)
                target.storeBytes(of: c3, toByteOffset: o2 + b * 128 + 96, as: V.self)
            }
        }
        for i in (blocks * 32)..<width {
            var sum: Float = 0, sum2: Float = 0
            for j in 0..<count {
                sum += p[j] * vectors[j * width + i]
                sum2 += q[j] * vectors[j * width + i]
            }
            out[r * outStride + i] = sum
            if r + 1 < rows { out[(r + 1) * outStride + i] = sum2 }
        }
    }
}

extension XCLIPModel {
    /// One text embedding prompted by each of `count` videos' tokens ([count, patches, projection]):
    /// [count, projection]. The folded form of `promptedTextEmbeddings`, for reranking.
    public func promptedTextEmbedding(_ text: [Float], videos tokens: UnsafePointer<Float>, count: Int) -> Tensor {
        precondition(text.count == embeddingSize, "text embedding must have \(embeddingSize) values")
        guard let promptGenerator else { preconditionFailure("a CLIP checkpoint has no prompt generator (see reranks)") }
        return withSettings {
            text.withUnsafeBufferPointer {
                promptGenerator.applyFolded(text: $0.baseAddress!, visualTokens: tokens, count: count, tokens: promptTokenCount)
            }
        }
    }
}
