import Tensor
import XCTest

/// The few-row kernel that Linear uses for a text query's rows equals sgemm, with and without
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
                    BLAS.gemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                              a: input.data, lda: inFeatures, b: weight.data, ldb: inFeatures,
                              beta: accumulate ? 1 : 0, c: expected.data, ldc: outFeatures)
                    let actual = Tensor(shape: [rows, outFeatures])
                    actual.data.update(from: start.data, count: start.count)
                    FewRowProduct.apply(input.data, rows: rows, inFeatures: inFeatures, weight: weight.data,
                                        outFeatures: outFeatures, into: actual.data, accumulate: accumulate)
                    var worst: Float = 0
                    for i in 0..<expected.count { worst = max(worst, abs(expected.data[i] - actual.data[i])) }
                    XCTAssertLessThan(worst, 1e-4 * Float(inFeatures).squareRoot(),
                                      "rows \(rows), \(inFeatures) -> \(outFeatures), accumulate \(accumulate)")
                }
            }
        }
    }

    /// f16 weights (converted as read) give the f32 product of the same values, for any row count.
    func testHalfWeightsEqualSgemm() {
        var rng = SeededRandom(seed: 12)
        for (inFeatures, outFeatures) in [(512, 1536), (37, 29)] {
            let weight = rng.tensor([outFeatures, inFeatures])
            for i in 0..<weight.count { weight.data[i] = Float(Float16(weight.data[i])) }
            let linear = Linear(halfWeight: HalfMatrix(weight), bias: rng.tensor([outFeatures]))
            let reference = Linear(weight: weight, bias: linear.bias)
            for rows in [1, 3, 8, 17, 40] {
                let input = rng.tensor([rows, inFeatures])
                let expected = reference(input), actual = linear(input)
                var worst: Float = 0
                for i in 0..<expected.count { worst = max(worst, abs(expected.data[i] - actual.data[i])) }
                XCTAssertLessThan(worst, 1e-4 * Float(inFeatures).squareRoot(), "rows \(rows), \(inFeatures) -> \(outFeatures)")
            }
        }
    }
}
