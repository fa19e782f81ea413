import Foundation
import Tensor
import XCLIP
import XCTest

/// The folded, batched prompt generator equals the plain one of the spec.
final class FoldedPromptTests: XCTestCase {
    func testFoldedFormEqualsPlainForm() throws {
        let model = try XCLIPModel(directory: ParityTests.fixture)
        var rng = SeededRandom(seed: 5)
        let p = model.embeddingSize, n = model.promptTokenCount, videos = 7
        let text = (0..<p).map { _ in rng.uniform(2) }
        let tokens = rng.tensor([videos, n, p], scale: 3)
        let folded = model.promptedTextEmbedding(text, videos: tokens.data, count: videos)
        var maxDiff: Float = 0, maxValue: Float = 0
        for c in 0..<videos {
            let plain = model.promptedTextEmbeddings([text], promptTokens: tokens.data + c * n * p)[0]
            for i in 0..<p {
                maxDiff = max(maxDiff, abs(plain[i] - folded[c * p + i]))
                maxValue = max(maxValue, abs(plain[i]))
            }
        }
        XCTAssertGreaterThan(maxValue, 0.1)
        XCTAssertLessThan(maxDiff / maxValue, 1e-5, "folded vs plain relative difference")
    }
}
