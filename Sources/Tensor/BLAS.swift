import CBLAS

/// Matrix products through OpenBLAS, row-major.
///
/// OpenBLAS runs single-threaded, on the calling thread; `parallelGemm` splits a large product
/// over the cores itself. One thread pool (Dispatch) then runs everything: OpenBLAS's own
/// workers spin in sched_yield after every product and, on a 2-core machine, starve the
/// Dispatch workers that run the layer norms, attention and kernels between the products.
public enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, on the calling thread.
    @inline(__always)
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = singleThreaded
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The same product split over the cores: by columns of C (each core packs its own share
    /// of B, usually the weights) when C is wide enough, else by rows. Small products run inline.
    public static func parallelGemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let cores = Parallel.cores
        guard cores > 1, m * n * k >= 1 << 21 else {
            gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if n >= 64 * cores {
            // Column chunks in multiples of 16 (the kernel's tile width).
            let step = (n / cores + 15) / 16 * 16
            parallelFor(cores) { part in
                let n0 = part * step, n1 = min(n, n0 + step)
                guard n0 < n1 else { return }
                gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n1 - n0, k: k, alpha: alpha,
                    a: a, lda: lda, b: transposeB ? b + n0 * ldb : b + n0, ldb: ldb,
                    beta: beta, c: c + n0, ldc: ldc)
            }
        } else {
            let step = (m + cores - 1) / cores
            parallelFor(cores) { part in
                let m0 = part * step, m1 = min(m, m0 + step)
                guard m0 < m1 else { return }
                gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m1 - m0, n: n, k: k, alpha: alpha,
                    a: transposeA ? a + m0 : a + m0 * lda, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c + m0 * ldc, ldc: ldc)
            }
        }
    }

    /// Threads OpenBLAS uses for one product: 1, except while a FAISS cache is trained
    /// (VectorCache) or a benchmark measures. Process-wide, unlike RunSettings: OpenBLAS has no
    /// per-call count, so a product on another thread meanwhile uses these threads too (the
    /// same result, on more threads than its settings give it).
    public static var threads: Int {
        get {
            _ = singleThreaded
            return Int(openblas_get_num_threads())
        }
        set {
            _ = singleThreaded
            openblas_set_num_threads(Int32(newValue))
        }
    }
}
