import CBLAS
import Foundation
import Tensor
import XCTest

final class OpenBLASTests: XCTestCase {
    // The Linear test checks f32 arithmetic: with bf16 products a few-row Linear would be bf16.
    override func setUp() { ProductEngine.choose(precision: "f32", source: "test") }

    /// sgemm against a naive triple loop, with and without transposes and a bias accumulation.
    func testSgemmMatchesNaiveProduct() {
        var rng = SeededRandom(seed: 7)
        let m = 37, n = 29, k = 53
        let a = rng.tensor([m, k]), bT = rng.tensor([n, k]), c0 = rng.tensor([m, n])
        for (beta, transB) in [(Float(0), true), (Float(1), true)] {
            let c = c0.reshaped([m, n])
            BLAS.gemm(
                transposeB: transB, m: m, n: n, k: k, a: a.data, lda: k, b: bT.data, ldb: k,
                beta: beta, c: c.data, ldc: n)
            for i in 0..<m {
                for j in 0..<n {
                    var s: Double = beta == 0 ? 0 : Double(c0[i * n + j])
                    for p in 0..<k { s += Double(a[i * k + p]) * Double(bT[j * k + p]) }
                    XCTAssertEqual(Double(c[i * n + j]), s, accuracy: 1e-4, "C[\(i),\(j)] beta \(beta)")
                }
            }
        }
    }

    func testLinearEqualsExplicitFormula() {
        var rng = SeededRandom(seed: 3)
        let w = rng.tensor([5, 4]), b = rng.tensor([5]), x = rng.tensor([3, 4])
        let y = Linear(weight: w, bias: b)(x)
        XCTAssertEqual(y.shape, [3, 5])
        for r in 0..<3 {
            for o in 0..<5 {
                var s = b[o]
                for i in 0..<4 { s += x[r * 4 + i] * w[o * 4 + i] }
                XCTAssertEqual(y[r * 5 + o], s, accuracy: 1e-5)
            }
        }
    }

    /// The product split over cores (by columns when C is wide, else by rows) equals the
    /// single-threaded one, with every transpose combination.
    func testParallelGemmEqualsSingleThreaded() {
        let saved = Parallel.cores
        Parallel.cores = 3
        defer { Parallel.cores = saved }
        var rng = SeededRandom(seed: 9)
        for (m, n, k) in [(300, 500, 70), (700, 40, 90), (5, 1000, 600)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = rng.tensor([m * k]), b = rng.tensor([k * n]), c0 = rng.tensor([m, n])
                let lda = ta ? m : k, ldb = tb ? k : n
                let expected = c0.reshaped([m, n]), actual = c0.reshaped([m, n])
                BLAS.gemm(
                    transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.data, lda: lda,
                    b: b.data, ldb: ldb, beta: 1, c: expected.data, ldc: n)
                BLAS.parallelGemm(
                    transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.data, lda: lda,
                    b: b.data, ldb: ldb, beta: 1, c: actual.data, ldc: n)
                let worst = maxAbsDifference(expected.data, actual.data, count: expected.count)
                XCTAssertLessThan(worst, 1e-4, "\(m)x\(n)x\(k) transposes \(ta) \(tb)")
            }
        }
    }
}

final class FastMathTests: XCTestCase {
    func testFastExpMatchesLibm() {
        var worst: Double = 0
        var x: Float = -87.2
        while x < 88 {
            let exact = Foundation.exp(Double(x))
            let error = abs(Double(fastExp(x)) - exact) / exact
            XCTAssertFalse(error.isNaN, "fastExp(\(x)) is NaN")
            if error > worst { worst = error }
            x += 0.0137
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(fastExp(-1000), 0)
        XCTAssertEqual(fastExp(-.infinity), 0)
        XCTAssertTrue(fastExp(1000).isFinite)
    }

    func testSoftmaxAndGELUWithMaskedEntries() {
        var row: [Float] = [1, 2, 3, -.infinity, 0.5, 0.25, -1, 4, 2, 1]
        row.withUnsafeMutableBufferPointer { softmaxRows($0.baseAddress!, rows: 1, columns: 10) }
        XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(row[3], 0)
        var g: [Float] = (0..<19).map { Float($0) - 9 }
        g.withUnsafeMutableBufferPointer { quickGELU($0.baseAddress!, count: 19) }
        for (i, v) in g.enumerated() {
            let x = Double(i) - 9
            XCTAssertEqual(Double(v), x / (1 + Foundation.exp(-1.702 * x)), accuracy: 1e-5)
        }
    }
}
