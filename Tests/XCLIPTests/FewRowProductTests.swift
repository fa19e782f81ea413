import Tensor
import XCTest

/// The few-row kernel that Linear uses for a segment's few rows equals sgemm, with and without
/// accumulation, for every row count it takes and for sizes that are not multiples of its tiles.
final class FewRowProductTests: XCTestCase {
    func testEqualsSgemm() {
        var rng = SeededRandom(seed: 11)
        for (inFeatures, outFeatures) in [(37, 29), (512, 1536), (2048, 513), (8, 1)] {
            let weight = rng.tensor([outFeatures, inFeatures])
            for rows in 1...FewRowProduct.maxRows {
                let input = rng.tensor([rows, inFeatures])
                for accumulate in [false, true] {
                    let start = rng.tensor([rows, outFeatures])
                    let expected = Tensor(shape: [rows, outFeatures])
                    expected.data.update(from: start.data, count: start.count)
                    BLAS.gemm(
                        transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                        a: input.data, lda: inFeatures, b: weight.data, ldb: inFeatures,
                        beta: accumulate ? 1 : 0, c: expected.data, ldc: outFeatures)
                    let actual = Tensor(shape: [rows, outFeatures])
                    actual.data.update(from: start.data, count: start.count)
                    FewRowProduct.apply(
                        input.data, rows: rows, inFeatures: inFeatures, weight: weight.data,
                        outFeatures: outFeatures, into: actual.data, accumulate: accumulate)
                    let worst = maxAbsDifference(expected.data, actual.data, count: expected.count)
                    XCTAssertLessThan(
                        worst, 1e-4 * Float(inFeatures).squareRoot(),
                        "rows \(rows), \(inFeatures) -> \(outFeatures), accumulate \(accumulate)")
                }
            }
        }
    }
}
