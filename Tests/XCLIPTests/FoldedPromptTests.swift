import Foundation
import Tensor
import XCLIP
import XCTest

/// The folded, batched prompt generator equals the plain one of the spec.
final class FoldedPromptTests: XCTestCase {
    // Both forms in f32 (with bf16 products the plain form's few-row products would be bf16).
    override func setUp() { ProductEngine.choose(precision: "f32", source: "test") }

    func testFoldedFormEqualsPlainForm() throws {
        try assertFoldedEqualsPlain(try XCLIPModel(directory: ParityTests.fixture))
    }

    /// Shapes the fixture does not have: an odd number of heads (5) and of prompt tokens (9), and
    /// a width (40) past the kernels' 32-lane blocks.
    func testFoldedFormEqualsPlainFormAtOddShapes() throws {
        var config = XCLIPConfiguration()
        config.vision.hiddenSize = 32
        config.vision.intermediateSize = 64
        config.vision.numHiddenLayers = 1
        config.vision.numAttentionHeads = 2
        config.vision.imageSize = 48
        config.vision.patchSize = 16
        config.vision.numFrames = 2
        config.vision.mitHiddenSize = 40
        config.vision.mitIntermediateSize = 80
        config.vision.mitNumAttentionHeads = 2
        config.text.vocabSize = 100
        config.text.hiddenSize = 32
        config.text.intermediateSize = 64
        config.text.numHiddenLayers = 1
        config.text.numAttentionHeads = 2
        config.text.maxPositionEmbeddings = 16
        config.projectionDim = 40
        config.promptNumAttentionHeads = 5
        let model = try XCLIPModel(configuration: config, source: RandomTensorSource(seed: 8, scale: 0.3))
        XCTAssertEqual(model.promptTokenCount, 9)
        try assertFoldedEqualsPlain(model)
    }

    /// A video's prompted embedding is the same bit for bit whether it is reranked alone, among
    /// 40 others (more rows than the few-row products take) or in another order, on every
    /// engine: shards searched side by side then rank as their merge does.
    func testAVideosPromptDoesNotDependOnWhatIsRerankedWithIt() throws {
        let model = try XCLIPModel(directory: DemoModelTests.directory)
        var rng = SeededRandom(seed: 11)
        let p = model.embeddingSize, n = model.promptTokenCount, videos = 40
        let text = (0..<p).map { _ in rng.uniform(2) }
        let tokens = rng.tensor([videos, n, p], scale: 3)
        let reversed = Tensor(uninitialized: [videos, n, p])
        for c in 0..<videos { (reversed.data + c * n * p).update(from: tokens.data + (videos - 1 - c) * n * p, count: n * p) }
        var engines: [ProductEngine] = [.openblas, .onednnF32]
        if ProductEngine.cpuHasBF16 { engines.append(.onednnBF16) }
        for engine in engines {
            ProductEngine.current = engine
            let all = model.promptedTextEmbedding(text, videos: tokens.data, count: videos)
            let backwards = model.promptedTextEmbedding(text, videos: reversed.data, count: videos)
            let some = model.promptedTextEmbedding(text, videos: tokens.data + 3 * n * p, count: 21)
            for c in 0..<videos {
                let alone = model.promptedTextEmbedding(text, videos: tokens.data + c * n * p, count: 1)
                let row = Array(UnsafeBufferPointer(start: all.row(c), count: p))
                XCTAssert(row.allSatisfy(\.isFinite), "\(engine) video \(c): not finite")
                XCTAssertEqual(row, Array(UnsafeBufferPointer(start: alone.data, count: p)), "\(engine) video \(c): among 40 and alone")
                XCTAssertEqual(
                    row, Array(UnsafeBufferPointer(start: backwards.row(videos - 1 - c), count: p)), "\(engine) video \(c): in reverse order")
                if (3..<24).contains(c) {
                    XCTAssertEqual(row, Array(UnsafeBufferPointer(start: some.row(c - 3), count: p)), "\(engine) video \(c): among 21")
                }
            }
        }
    }

    private func assertFoldedEqualsPlain(_ model: XCLIPModel, file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SeededRandom(seed: 5)
        let p = model.embeddingSize, n = model.promptTokenCount, videos = 7
        let text = (0..<p).map { _ in rng.uniform(2) }
        let tokens = rng.tensor([videos, n, p], scale: 3)
        let folded = model.promptedTextEmbedding(text, videos: tokens.data, count: videos)
        var maxDiff: Float = 0, maxValue: Float = 0
        for c in 0..<videos {
            let plain = model.promptedTextEmbeddings([text], promptTokens: tokens.data + c * n * p)[0]
            let diff = plain.withUnsafeBufferPointer { maxAbsDifference($0.baseAddress!, folded.data + c * p, count: p) }
            let value = plain.withUnsafeBufferPointer { maxAbsValue($0.baseAddress!, count: p) }
            XCTAssert(diff.isFinite && value.isFinite, "video \(c): not finite", file: file, line: line)
            maxDiff = diff > maxDiff ? diff : maxDiff
            maxValue = value > maxValue ? value : maxValue
        }
        XCTAssertGreaterThan(maxValue, 0.1, file: file, line: line)
        XCTAssertLessThan(maxDiff / maxValue, 1e-5, "folded vs plain relative difference", file: file, line: line)
    }
}
