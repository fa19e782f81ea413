import Tensor
import XCTest

/// The text tower's panel-packed products equal sgemm on the same values: f32 and f16 panels,
/// with and without accumulation, for row counts on both sides of the 6-row tile and sizes that
/// are not multiples of the 16-feature panel or the 256-feature block.
final class PanelProductTests: XCTestCase {
    // Panels against nn.Linear's f32 arithmetic: with bf16 products the Linear would be bf16.
    override func setUp() { ProductEngine.choose(precision: "f32", source: "test") }

    func testEqualsSgemm() {
        var rng = SeededRandom(seed: 13)
        let hasAVX512 = PanelProduct.useAVX512  // the tile this CPU runs; the AVX2 one is checked beside it
        for (inFeatures, outFeatures) in [(37, 29), (512, 1536), (300, 33), (2048, 513), (8, 1)] {
            let weight = rng.tensor([outFeatures, inFeatures])
            for half in [false, true] {
                // f16 panels hold the values rounded to f16; the reference multiplies those same values.
                let values = Tensor(shape: weight.shape)
                for i in 0..<weight.count { values.data[i] = half ? Float(Float16(weight.data[i])) : weight.data[i] }
                let panels = PanelMatrix(weight, half: half)
                for rows in [1, 2, 5, 6, 7, 8, 12, 13, 20] {
                    let input = rng.tensor([rows, inFeatures])
                    for accumulate in [false, true] {
                        let start = rng.tensor([rows, outFeatures])
                        let expected = Tensor(shape: [rows, outFeatures]), actual = Tensor(shape: [rows, outFeatures])
                        expected.data.update(from: start.data, count: start.count)
                        actual.data.update(from: start.data, count: start.count)
                        BLAS.gemm(
                            transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                            a: input.data, lda: inFeatures, b: values.data, ldb: inFeatures,
                            beta: accumulate ? 1 : 0, c: expected.data, ldc: outFeatures)
                        let other = Tensor(shape: [rows, outFeatures])
                        other.data.update(from: start.data, count: start.count)
                        PanelProduct.apply(input.data, rows: rows, weight: panels, into: actual.data, accumulate: accumulate)
                        let worst = maxAbsDifference(expected.data, actual.data, count: expected.count)
                        XCTAssertLessThan(
                            worst, 1e-4 * Float(inFeatures).squareRoot(),
                            "rows \(rows), \(inFeatures) -> \(outFeatures), half \(half), accumulate \(accumulate)")
                        // The AVX2 and AVX-512 tiles sum each lane in the same order: the same floats.
                        if hasAVX512 {
                            PanelProduct.useAVX512 = false
                            PanelProduct.apply(input.data, rows: rows, weight: panels, into: other.data, accumulate: accumulate)
                            PanelProduct.useAVX512 = true
                            XCTAssertTrue(
                                (0..<other.count).allSatisfy { other.data[$0] == actual.data[$0] },
                                "AVX2 and AVX-512 tiles differ: rows \(rows), \(inFeatures) -> \(outFeatures), half \(half)")
                        }
                    }
                }
            }
        }
    }

    /// A Linear over panels gives what the same Linear over nn.Linear's layout gives, bias included.
    func testLinearOverPanelsEqualsLinear() {
        var rng = SeededRandom(seed: 14)
        let weight = rng.tensor([1536, 512]), bias = rng.tensor([1536])
        let plain = Linear(weight: weight, bias: bias), packed = Linear(panels: PanelMatrix(weight, half: false), bias: bias)
        for rows in [1, 8, 40] {
            let input = rng.tensor([rows, 512])
            let expected = plain(input), actual = packed(input)
            let worst = maxAbsDifference(expected.data, actual.data, count: expected.count)
            XCTAssertLessThan(worst, 1e-3, "rows \(rows)")
        }
    }
}
