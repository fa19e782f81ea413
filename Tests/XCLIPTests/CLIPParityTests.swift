import Foundation
import Tensor
import XCLIP
import XCTest

/// A CLIP checkpoint (transformers' CLIPModel layout) as the paper's CLIP-mean encoder, against
/// transformers on the clip-tiny fixture (random weights stored in f16, 2 videos x 8 frames,
/// 3 texts; Tools/clip_reference.py): every output within 1e-4 relative to its largest value.
final class CLIPParityTests: XCTestCase {
    static var fixture: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/clip-tiny") }

    override func setUp() { ProductEngine.choose(precision: "f32", source: "test") }

    func testTheConfigurationNamesTheFamily() throws {
        let configuration = try XCLIPConfiguration(contentsOf: Self.fixture.appendingPathComponent("config.json"))
        XCTAssertEqual(configuration.family, .clip)
        XCTAssertEqual(configuration.vision.numFrames, 8, "a CLIP config names no frame count")
        XCTAssertEqual(try XCLIPConfiguration(contentsOf: ParityTests.fixture.appendingPathComponent("config.json")).family, .xclip)
        XCTAssertThrowsError(try XCLIPConfiguration(json: ["model_type": "siglip"])) { error in
            XCTAssertTrue("\(error)".contains("siglip"), "\(error)")
        }
        // A tower of another kind under a CLIP config is refused by name.
        let siglipTower: [String: Any] = ["model_type": "clip", "vision_config": ["model_type": "siglip_vision_model"]]
        XCTAssertThrowsError(try XCLIPConfiguration(json: siglipTower)) { error in
            XCTAssertTrue("\(error)".contains("siglip_vision_model"), "\(error)")
        }
        XCTAssertNoThrow(try XCLIPConfiguration(json: ["model_type": "clip", "vision_config": ["model_type": "clip_vision_model"]]))
    }

    func testEveryOutputMatchesTheReference() throws {
        let model = try XCLIPModel(directory: Self.fixture)
        XCTAssertFalse(model.reranks, "a CLIP checkpoint has no prompt generator")
        XCTAssertEqual(model.promptTokenCount, 0)
        let reference = try SafeTensorsFile(path: Self.fixture.appendingPathComponent("io.safetensors").path)
        let results = try ReferenceCheck.run(model: model, reference: reference)
        XCTAssertEqual(results.map(\.name), ReferenceCheck.outputNames(for: .clip))
        for result in results {
            XCTAssertNil(result.problem, "\(result.name): \(result.problem ?? "")")
            let error = try XCTUnwrap(result.error, result.name)
            XCTAssertLessThanOrEqual(error, 1e-4, "\(result.name) relative error \(error)")
        }
    }

    func testLAIONsExactGELUMatchesTheReference() throws {
        // The same weights with "hidden_act": "gelu" (LAION's checkpoints) against transformers.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-gelu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture.appendingPathComponent("config.json"))) as? [String: Any])
        for tower in ["vision_config", "text_config"] {
            var fields = try XCTUnwrap(config[tower] as? [String: Any])
            fields["hidden_act"] = "gelu"
            config[tower] = fields
        }
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(
            at: Self.fixture.appendingPathComponent("model.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
        let reference = try SafeTensorsFile(path: Self.fixture.appendingPathComponent("io-gelu.safetensors").path)
        for result in try ReferenceCheck.run(model: try XCLIPModel(directory: dir), reference: reference) {
            XCTAssertNil(result.problem, "\(result.name): \(result.problem ?? "")")
            XCTAssertLessThanOrEqual(try XCTUnwrap(result.error, result.name), 1e-4, result.name)
        }
        // quick_gelu would not pass for it (near zero the two are close, so this fixture tells them
        // apart in the text tower by a few 1e-4).
        let quick = try ReferenceCheck.run(model: try XCLIPModel(directory: Self.fixture), reference: reference)
        XCTAssertTrue(quick.contains { ($0.error ?? 0) > 2e-4 }, "\(quick.map { ($0.name, $0.error ?? -1) })")
        // X-CLIP stays quick_gelu only.
        XCTAssertThrowsError(try XCLIPConfiguration(json: ["model_type": "xclip", "vision_config": ["hidden_act": "gelu"]]))
    }

    func testBF16StaysCloseToTheReference() throws {
        guard ProductEngine.cpuHasBF16 else {
            throw XCTSkip("this CPU has no bf16 instructions (oneDNN ISA \(ProductEngine.oneDNNISA)): the bf16 path is not tested here")
        }
        ProductEngine.choose(precision: "bf16", source: "test")
        defer { ProductEngine.choose(precision: "f32", source: "test") }
        let model = try XCLIPModel(directory: Self.fixture)
        let reference = try SafeTensorsFile(path: Self.fixture.appendingPathComponent("io.safetensors").path)
        let ours = try ReferenceCheck.outputs(model: model, reference: reference)
        for name in ["out.video_embeds", "out.text_embeds"] {
            let mine = try XCTUnwrap(ours[name]), theirs = try reference.floatTensor(name)
            let p = mine.columns
            for r in 0..<mine.rows {
                let cosine = dot(mine.row(r), theirs.row(r), count: p) / (norm(mine.row(r), count: p) * norm(theirs.row(r), count: p))
                XCTAssertTrue(cosine >= 0.999, "\(name) row \(r): cosine \(cosine)")  // a NaN fails too
            }
        }
    }
}
