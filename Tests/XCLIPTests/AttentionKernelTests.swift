import Tensor
import XCTest

@testable import XCLIP

/// attend() with 64-dimension heads (its own kernels) against a double-precision reference, over
/// the sequence lengths the model meets (a B/32 frame with its message token: 51; B/16: 198; a
/// query: up to 77, causal) and lengths that are not whole vectors.
final class AttentionKernelTests: XCTestCase {
    func testSixtyFourDimensionHeadsMatchAReference() {
        var rng = SeededRandom(seed: 11)
        for (length, causal) in [(51, false), (198, false), (77, true), (7, true), (1, false), (33, false)] {
            let heads = 2, headDim = 64, sequences = 2, width = heads * headDim
            let rows = sequences * length
            let qkv = rng.tensor([rows, 3 * width], scale: 2)
            let out = Tensor(shape: [rows, width])
            attend(
                queries: qkv.data, queryStride: 3 * width, queryCount: length, keys: qkv.data + width, values: qkv.data + 2 * width,
                keyStride: 3 * width, keyCount: length, sequences: sequences, heads: heads, headDim: headDim, causal: causal,
                output: out.data, outputStride: width)
            var worst = 0.0
            for s in 0..<sequences {
                for h in 0..<heads {
                    for i in 0..<length {
                        let row = s * length + i
                        let keys = causal ? i + 1 : length
                        var scores = [Double](repeating: 0, count: keys)
                        for j in 0..<keys {
                            var dot = 0.0
                            for d in 0..<headDim {
                                dot +=
                                    Double(qkv.data[row * 3 * width + h * headDim + d])
                                    * Double(qkv.data[(s * length + j) * 3 * width + width + h * headDim + d])
                            }
                            scores[j] = dot / 8
                        }
                        let top = scores.max()!
                        let weights = scores.map { exp($0 - top) }
                        let total = weights.reduce(0, +)
                        for d in 0..<headDim {
                            var expected = 0.0
                            for j in 0..<keys {
                                expected += weights[j] / total * Double(qkv.data[(s * length + j) * 3 * width + 2 * width + h * headDim + d])
                            }
                            let error = abs(Double(out.data[row * width + h * headDim + d]) - expected)
                            if !(error <= worst) { worst = error.isNaN ? .infinity : error }
                        }
                    }
                }
            }
            XCTAssertLessThanOrEqual(worst, 1e-5, "length \(length) causal \(causal): largest error \(worst)")
        }
    }
}
