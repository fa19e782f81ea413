/// output[r, o] (+)= sum_i input[r, i] * weight[o, i] for a handful of rows, with the weight in
/// nn.Linear's layout: the projections and the MIT of one segment, and the prompt generator's
/// per-candidate maps. sgemm packs the whole weight matrix before a product it then barely uses;
/// this kernel reads each weight row once and dots it with every input row. (The text tower,
/// whose weights are read for every query, keeps them in panels instead: PanelProduct.)
public enum FewRowProduct {
    /// Up to this many rows a product goes through the kernel (Linear picks it); more go to sgemm.
    public static let maxRows = 16

    public static func apply(
        _ input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
        weight: UnsafePointer<Float>, outFeatures: Int,
        into output: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        precondition(rows <= maxRows, "FewRowProduct takes at most \(maxRows) rows, got \(rows)")
        // One chunk of output features per core; each chunk streams its own weight rows.
        parallelChunks(outFeatures, minimumPerChunk: max(1, 65_536 / max(inFeatures * max(rows / 4, 1), 1))) { range in
            product(
                input, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
                range: range, into: output, accumulate: accumulate)
        }
    }

    /// The same product on the calling thread only (for callers that already run one task per core).
    public static func serial(
        _ input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
        weight: UnsafePointer<Float>, outFeatures: Int,
        into output: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        precondition(rows <= maxRows, "FewRowProduct takes at most \(maxRows) rows, got \(rows)")
        product(
            input, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
            range: 0..<outFeatures, into: output, accumulate: accumulate)
    }

    @inline(__always)
    private static func product(
        _ input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
        weight: UnsafePointer<Float>, outFeatures: Int, range: Range<Int>,
        into output: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        var o = range.lowerBound
        while o + 2 <= range.upperBound {
            for r0 in stride(from: 0, to: rows, by: 4) {
                pair(
                    input, rows: min(4, rows - r0), rowOffset: r0, inFeatures: inFeatures,
                    weight: weight + o * inFeatures, outFeatures: outFeatures, column: o,
                    output: output, accumulate: accumulate, single: false)
            }
            o += 2
        }
        if o < range.upperBound {
            // An odd last feature: the same kernel with its one weight row read as both of the pair.
            for r0 in stride(from: 0, to: rows, by: 4) {
                pair(
                    input, rows: min(4, rows - r0), rowOffset: r0, inFeatures: inFeatures,
                    weight: weight + o * inFeatures, outFeatures: outFeatures, column: o,
                    output: output, accumulate: accumulate, single: true)
            }
        }
    }

    /// Two output features (weight rows w and w + k, or w alone when `single`) against up to four
    /// input rows: eight 8-lane accumulators, each weight vector loaded once for all four rows.
    @inline(__always)
    private static func pair(
        _ input: UnsafePointer<Float>, rows: Int, rowOffset: Int, inFeatures k: Int,
        weight w: UnsafePointer<Float>, outFeatures: Int, column: Int,
        output: UnsafeMutablePointer<Float>, accumulate: Bool, single: Bool
    ) {
        typealias V = SIMD8<Float>
        let w0 = UnsafeRawPointer(w), w1 = UnsafeRawPointer(single ? w : w + k)
        // Rows past `rows` reread the last row (their sums are dropped) so the loop has no branches.
        let x0 = UnsafeRawPointer(input + rowOffset * k)
        let x1 = UnsafeRawPointer(input + (rowOffset + min(1, rows - 1)) * k)
        let x2 = UnsafeRawPointer(input + (rowOffset + min(2, rows - 1)) * k)
        let x3 = UnsafeRawPointer(input + (rowOffset + min(3, rows - 1)) * k)
        var a00 = V(), a01 = V(), a02 = V(), a03 = V(), a10 = V(), a11 = V(), a12 = V(), a13 = V()
        let vectors = k / 8
        for v in 0..<vectors {
            let offset = v * 32
            let u0 = w0.loadUnaligned(fromByteOffset: offset, as: V.self)
            let u1 = w1.loadUnaligned(fromByteOffset: offset, as: V.self)
            let y0 = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
            let y1 = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
            let y2 = x2.loadUnaligned(fromByteOffset: offset, as: V.self)
            let y3 = x3.loadUnaligned(fromByteOffset: offset, as: V.self)
            a00 = a00.addingProduct(u0, y0)
            a01 = a01.addingProduct(u0, y1)
            a02 = a02.addingProduct(u0, y2)
            a03 = a03.addingProduct(u0, y3)
            a10 = a10.addingProduct(u1, y0)
            a11 = a11.addingProduct(u1, y1)
            a12 = a12.addingProduct(u1, y2)
            a13 = a13.addingProduct(u1, y3)
        }
        var sums = SIMD8<Float>(a00.sum(), a01.sum(), a02.sum(), a03.sum(), a10.sum(), a11.sum(), a12.sum(), a13.sum())
        if vectors * 8 < k {
            for i in (vectors * 8)..<k {
                for r in 0..<rows {
                    let x = input[(rowOffset + r) * k + i]
                    sums[r] += w[i] * x
                    sums[4 + r] += w[single ? i : k + i] * x
                }
            }
        }
        for r in 0..<rows {
            let target = output + (rowOffset + r) * outFeatures + column
            target[0] = accumulate ? target[0] + sums[r] : sums[r]
            if !single { target[1] = accumulate ? target[1] + sums[4 + r] : sums[4 + r] }
        }
    }
}
