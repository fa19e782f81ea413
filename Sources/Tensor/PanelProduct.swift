import CIntrinsics
import Foundation

/// output[r, o] (+)= sum_i input[r, i] * W[o, i] for W packed in panels (PanelMatrix): the
/// product of a text query's few tokens, bound by reading the weights once. Each core takes
/// whole panels; within a panel, blocks of 256 input features (16 KB of f32 weights, which stay
/// in L1) are multiplied with up to 6 input rows at a time: 12 accumulators of 8 lanes, each
/// weight vector loaded once per 6 rows and each input value broadcast once per 16 features.
public enum PanelProduct {
    static let block = 256
    /// How far ahead of its use each weight line is prefetched, in bytes: the hardware prefetcher
    /// stops at every 4 KB page, and this loop does too little work per byte to hide the misses
    /// (chosen in development by timing a B/32 text query at several distances; the query's
    /// speed now: BENCHMARKS.md, `model.B/32.text.8tokens`).
    static let ahead = 4096
    /// The AVX-512 tile (PanelKernels.c) where the CPU has it, 8 rows at a time, one vector per
    /// panel; VIDSEARCH_NO_AVX512=1 keeps the AVX2 tile (to see what an AVX2-only host runs).
    public static var useAVX512 = vs_cpu_has_avx512f() == 1 && ProcessInfo.processInfo.environment["VIDSEARCH_NO_AVX512"] == nil

    public static func apply(
        _ input: UnsafePointer<Float>, rows: Int, weight: PanelMatrix,
        into output: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        if useAVX512 {
            runAVX512(input, rows: rows, weight: weight, into: output, accumulate: accumulate)
        } else if weight.isHalf {
            run(input, rows: rows, weight: weight, element: Float16.self, into: output, accumulate: accumulate)
        } else {
            run(input, rows: rows, weight: weight, element: Float.self, into: output, accumulate: accumulate)
        }
    }

    /// The same walk over panels and blocks with the AVX-512 tile (PanelKernels.c), 8 rows at a
    /// time. Kept apart from `run`: a branch to it inside the generic loop cost the f16 AVX2 tile
    /// its specialization (f16 became as slow as f32, measured).
    private static func runAVX512(
        _ input: UnsafePointer<Float>, rows: Int, weight: PanelMatrix,
        into output: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        let k = weight.columns, n = weight.rows, width = PanelMatrix.width
        let element = weight.isHalf ? 2 : 4, half: Int32 = weight.isHalf ? 1 : 0
        let base = UnsafeRawPointer(weight.storage)
        parallelChunks(weight.panels, minimumPerChunk: max(1, 32_768 / max(k * width, 1)), pieces: 8) { panels in
            for p in panels {
                let columns = Int32(min(width, n - p * width))
                let panel = base + p * k * width * element
                for i0 in stride(from: 0, to: k, by: block) {
                    let count = Int64(min(block, k - i0))
                    let load: Int32 = accumulate || i0 > 0 ? 1 : 0
                    for r0 in stride(from: 0, to: rows, by: 8) {
                        vs_panel_tile_avx512(
                            input + r0 * k + i0, Int64(k), panel + i0 * width * element, half, count,
                            Int32(min(8, rows - r0)), output + r0 * n + p * width, Int64(n), columns, load, Int64(ahead))
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func run<W: WeightElement>(
        _ input: UnsafePointer<Float>, rows: Int, weight: PanelMatrix, element: W.Type,
        into output: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        let k = weight.columns, n = weight.rows, width = PanelMatrix.width
        let base = UnsafeRawPointer(weight.storage)
        // Eight pieces per core: the thread that starts first takes more while the others wake.
        parallelChunks(weight.panels, minimumPerChunk: max(1, 32_768 / max(k * width, 1)), pieces: 8) { panels in
            for p in panels {
                let columns = min(width, n - p * width)
                let panel = base + p * k * width * MemoryLayout<W>.stride
                for i0 in stride(from: 0, to: k, by: block) {
                    let count = min(block, k - i0)
                    var r0 = 0
                    while r0 < rows {
                        let x = input + r0 * k + i0
                        let w = panel + i0 * width * MemoryLayout<W>.stride
                        let y = output + r0 * n + p * width
                        let load = accumulate || i0 > 0
                        let take = min(6, rows - r0)
                        switch take {
                        case 6: tile(W.self, 6, x, k, w, count, y, n, columns, load)
                        case 5: tile(W.self, 5, x, k, w, count, y, n, columns, load)
                        case 4: tile(W.self, 4, x, k, w, count, y, n, columns, load)
                        case 3: tile(W.self, 3, x, k, w, count, y, n, columns, load)
                        case 2: tile(W.self, 2, x, k, w, count, y, n, columns, load)
                        default: tile(W.self, 1, x, k, w, count, y, n, columns, load)
                        }
                        r0 += take
                    }
                }
            }
        }
    }

    /// `rows` (1...6, a constant at each call so the branches fold away) input rows times one
    /// block of one panel, added to (`load`) or written over the output's 16 (or `columns`) values.
    @inline(__always)
    private static func tile<W: WeightElement>(
        _: W.Type, _ rows: Int, _ x: UnsafePointer<Float>, _ k: Int,
        _ w: UnsafeRawPointer, _ count: Int,
        _ y: UnsafeMutablePointer<Float>, _ n: Int, _ columns: Int, _ load: Bool
    ) {
        typealias V = SIMD8<Float>
        var a0 = V(), b0 = V(), a1 = V(), b1 = V(), a2 = V(), b2 = V()
        var a3 = V(), b3 = V(), a4 = V(), b4 = V(), a5 = V(), b5 = V()
        let x0 = x, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k, x4 = x + 4 * k, x5 = x + 5 * k
        for i in 0..<count {
            vs_prefetch(w + i * 16 * MemoryLayout<W>.stride + ahead)
            let lo = W.load8(w, element: i * 16), hi = W.load8(w, element: i * 16 + 8)
            var s = V(repeating: x0[i])
            a0 = a0.addingProduct(s, lo)
            b0 = b0.addingProduct(s, hi)
            if rows > 1 {
                s = V(repeating: x1[i])
                a1 = a1.addingProduct(s, lo)
                b1 = b1.addingProduct(s, hi)
            }
            if rows > 2 {
                s = V(repeating: x2[i])
                a2 = a2.addingProduct(s, lo)
                b2 = b2.addingProduct(s, hi)
            }
            if rows > 3 {
                s = V(repeating: x3[i])
                a3 = a3.addingProduct(s, lo)
                b3 = b3.addingProduct(s, hi)
            }
            if rows > 4 {
                s = V(repeating: x4[i])
                a4 = a4.addingProduct(s, lo)
                b4 = b4.addingProduct(s, hi)
            }
            if rows > 5 {
                s = V(repeating: x5[i])
                a5 = a5.addingProduct(s, lo)
                b5 = b5.addingProduct(s, hi)
            }
        }
        store(a0, b0, y, columns, load)
        if rows > 1 { store(a1, b1, y + n, columns, load) }
        if rows > 2 { store(a2, b2, y + 2 * n, columns, load) }
        if rows > 3 { store(a3, b3, y + 3 * n, columns, load) }
        if rows > 4 { store(a4, b4, y + 4 * n, columns, load) }
        if rows > 5 { store(a5, b5, y + 5 * n, columns, load) }
    }

    @inline(__always)
    private static func store(
        _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ y: UnsafeMutablePointer<Float>,
        _ columns: Int, _ load: Bool
    ) {
        if columns == 16 {
            let raw = UnsafeMutableRawPointer(y)
            if load {
                raw.storeBytes(of: lo + raw.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                raw.storeBytes(of: hi + raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), toByteOffset: 32, as: SIMD8<Float>.self)
            } else {
                raw.storeBytes(of: lo, as: SIMD8<Float>.self)
                raw.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
            }
            return
        }
        for c in 0..<columns {
            let v = c < 8 ? lo[c] : hi[c - 8]
            y[c] = load ? y[c] + v : v
        }
    }
}
