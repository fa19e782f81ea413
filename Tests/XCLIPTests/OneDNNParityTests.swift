import Foundation
import Tensor
import XCLIP
import XCTest

/// The model with its large products in oneDNN: f32 within the reference's 1e-4 (both
/// fixtures), bf16 within cosine 0.999 of f32 for video and text embeddings where the CPU has
/// bf16 (said plainly when skipped).
final class OneDNNParityTests: XCTestCase {
    private static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models/xclip-demo")

    override func tearDown() { ProductEngine.choose(precision: "f32", source: "test") }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        return dot / (a.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot() * b.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot())
    }

    func testF32ThroughOneDNNMatchesTheReferences() throws {
        ProductEngine.current = .onednnF32
        for (directory, dump) in [(ParityTests.fixture, "io.safetensors"), (Self.demo, "reference.safetensors")] {
            let model = try XCLIPModel(directory: directory)
            let reference = try SafeTensorsFile(path: directory.appendingPathComponent(dump).path)
            _ = ProductTally.take()
            let results = try ReferenceCheck.run(model: model, reference: reference)
            // The products ran in oneDNN: none fell back to OpenBLAS (which would pass as well).
            let tally = ProductTally.take()
            XCTAssertGreaterThan(tally.onednnF32, 0, "\(directory.lastPathComponent): \(tally)")
            XCTAssertEqual(tally.fallbacks, 0, "\(directory.lastPathComponent): \(tally)")
            for result in results {
                XCTAssertNil(result.problem, "\(directory.lastPathComponent) \(result.name): \(result.problem ?? "")")
                let error = try XCTUnwrap(result.error, result.name)
                XCTAssertLessThanOrEqual(error, 1e-4, "\(directory.lastPathComponent) \(result.name) relative error \(error)")
            }
        }
    }

    func testBF16EmbeddingsAreWithinCosine0999OfF32() throws {
        guard ProductEngine.cpuHasBF16 else {
            throw XCTSkip("this CPU has no bf16 instructions (oneDNN ISA \(ProductEngine.oneDNNISA)): the bf16 model path is not tested here")
        }
        let model = try XCLIPModel(directory: Self.demo)
        let reference = try SafeTensorsFile(path: Self.demo.appendingPathComponent("reference.safetensors").path)
        let pixels = try reference.floatTensor("input.pixel_values")
        let ids = try reference.integers("input.input_ids")
        let length = ids.shape[1]
        let text = Array(ids.values[0..<length].prefix(through: ids.values[0..<length].firstIndex(of: 49407)!))

        func embeddings() throws -> (video: [Float], text: [Float]) {
            let encoded = try model.encodeVideos(pixels)
            let p = model.embeddingSize
            return (Array(UnsafeBufferPointer(start: encoded.embeddings.row(0), count: p)), try model.encodeText(text))
        }
        ProductEngine.current = .openblas
        let f32 = try embeddings()
        ProductEngine.current = .onednnBF16
        _ = ProductTally.take()
        let bf16 = try embeddings()
        let tally = ProductTally.take()
        XCTAssertGreaterThan(tally.onednnBF16, 10, "\(tally)")
        XCTAssertEqual(tally.fallbacks, 0, "\(tally)")
        for (name, a, b) in [("video", f32.video, bf16.video), ("text", f32.text, bf16.text)] {
            let cosine = Self.cosine(a, b)
            XCTAssertTrue(cosine >= 0.999, "\(name) embedding cosine \(cosine) between bf16 and f32")  // NaN fails too
        }
        XCTAssertNotEqual(f32.video, bf16.video, "the bf16 products ran (the embeddings are not bit-identical to f32's)")
    }

    /// In B/32's shapes (seeded weights), bf16 video and text embeddings stay within cosine 0.999
    /// of f32's; on the demo model's reference dump, bf16 logits stay within 0.05 of the reference.
    func testBF16InB32ShapesAndLogitsOfTheReference() throws {
        guard ProductEngine.cpuHasBF16 else {
            throw XCTSkip("this CPU has no bf16 instructions (oneDNN ISA \(ProductEngine.oneDNNISA)): the bf16 model path is not tested here")
        }
        var rng = SeededRandom(seed: 21)
        let pixels = rng.tensor([1, 8, 3, 224, 224])
        let ids = [49406, 320, 1929, 8617, 320, 45768, 530, 49407]
        func embeddings(_ engine: ProductEngine) throws -> (video: [Float], text: [Float]) {
            ProductEngine.current = engine  // before the model: with bf16 the text panels are f16
            let model = try XCLIPModel(configuration: XCLIPConfiguration(), source: RandomTensorSource(seed: 42))
            let encoded = try model.encodeVideos(pixels)
            return (Array(UnsafeBufferPointer(start: encoded.embeddings.row(0), count: model.embeddingSize)), try model.encodeText(ids))
        }
        let f32 = try embeddings(.onednnF32), bf16 = try embeddings(.onednnBF16)
        for (name, a, b) in [("video", f32.video, bf16.video), ("text", f32.text, bf16.text)] {
            let cosine = Self.cosine(a, b)
            XCTAssertTrue(cosine >= 0.999, "B/32 \(name) embedding cosine \(cosine) between bf16 and f32")  // NaN fails too
        }

        ProductEngine.current = .onednnBF16
        let demo = try XCLIPModel(directory: Self.demo)
        let reference = try SafeTensorsFile(path: Self.demo.appendingPathComponent("reference.safetensors").path)
        for result in try ReferenceCheck.run(model: demo, reference: reference) where result.name.hasPrefix("out.logits") {
            let expected = try reference.floatTensor(result.name)
            let largest = (0..<expected.count).reduce(Float(0)) { Swift.max($0, abs(expected.data[$1])) }
            let error = try XCTUnwrap(result.error, result.name) * largest
            XCTAssertTrue(error <= 0.05, "\(result.name): bf16 logits \(error) from the reference")  // NaN fails too
        }
    }

    func testTheChoiceSaysWhy() {
        XCTAssertFalse(ProductEngine.reason.isEmpty)
        ProductEngine.current = .onednnF32
        XCTAssertEqual(ProductEngine.reason, "set by the program")
    }
}
