import Foundation
import Tensor
import XCLIP
import XCTest

/// Malformed checkpoints are errors that name the problem, never crashes.
final class SafeTensorsTests: XCTestCase {
    private func file(_ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// A file with the given JSON header text and data bytes.
    private func file(header: String, data: [UInt8]) throws -> String {
        let h = Array(header.utf8)
        return try file(withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data)
    }

    private func assertMalformed(_ path: String, containing text: String, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(path: path), line: line) { error in
            guard case ModelError.malformedFile(let p, let reason) = error else {
                return XCTFail("expected malformedFile, got \(error)", line: line)
            }
            XCTAssertEqual(p, path, line: line)
            XCTAssertTrue(reason.contains(text), "\(reason)", line: line)
        }
    }

    func testReadsF32F16AndBF16() throws {
        let f32 =
            withUnsafeBytes(of: Float(1.5).bitPattern.littleEndian, Array.init)
            + withUnsafeBytes(of: Float(-2).bitPattern.littleEndian, Array.init)
        let f16 = withUnsafeBytes(of: HalfFloat.toFloat16(0.25).littleEndian, Array.init)
        let bf16 = withUnsafeBytes(of: UInt16(Float(-3).bitPattern >> 16).littleEndian, Array.init)
        let path = try file(
            header:
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},"c":{"dtype":"BF16","shape":[],"data_offsets":[10,12]},"__metadata__":{"format":"pt"}}"#,
            data: f32 + f16 + bf16)
        let st = try SafeTensorsFile(path: path)
        XCTAssertEqual(try st.floatTensor("a").array, [1.5, -2])
        XCTAssertEqual(try st.floatTensor("b").array, [0.25])
        XCTAssertEqual(try st.floatTensor("c").shape, [])
        XCTAssertEqual(try st.floatTensor("c").array, [-3])
        XCTAssertEqual(st.metadata["format"], "pt")
    }

    func testTruncatedFile() throws {
        assertMalformed(try file([1, 2, 3]), containing: "shorter than")
    }

    func testHeaderLengthBeyondFile() throws {
        assertMalformed(
            try file(withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init) + [0x7b, 0x7d]),
            containing: "runs past the end")
    }

    func testNonJSONHeader() throws {
        assertMalformed(try file(header: "not json at all", data: []), containing: "not a JSON object")
    }

    func testOffsetsOutOfRange() throws {
        assertMalformed(
            try file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [0, 0, 0, 0]),
            containing: "outside")
    }

    func testSizeDisagreesWithShape() throws {
        assertMalformed(
            try file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
            containing: "needs 12 bytes")
    }

    func testOverlappingTensors() throws {
        assertMalformed(
            try file(
                header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                data: Array(repeating: 0, count: 12)),
            containing: "overlap")
    }

    func testUnknownDTypeNamesTensorAndType() throws {
        let path = try file(header: #"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        let st = try SafeTensorsFile(path: path)
        XCTAssertThrowsError(try st.floatTensor("w")) { error in
            XCTAssertEqual(error as? ModelError, .unsupportedDType(name: "w", dtype: "C64", expected: "F32, F16 or BF16"))
            XCTAssertTrue("\(error)".contains("w") && "\(error)".contains("C64"))
        }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try SafeTensorsFile(path: "/nonexistent/model.safetensors")) { error in
            XCTAssertEqual(error as? ModelError, .missingFile(path: "/nonexistent/model.safetensors"))
        }
    }

    /// A checkpoint directory whose weights lack a tensor or carry a wrong shape.
    func testMissingTensorAndWrongShapeNameTheTensor() throws {
        let fixture = ParityTests.fixture
        let config = try XCLIPConfiguration(contentsOf: fixture.appendingPathComponent("config.json"))
        let full = try SafeTensorsFile(path: fixture.appendingPathComponent("model.safetensors").path)

        struct Edited: TensorSource {
            let base: SafeTensorsFile
            let drop: String?
            let reshape: String?
            func tensor(named name: String, shape: [Int]) throws -> Tensor? {
                if name == drop { return nil }
                let t = try base.tensor(named: name, shape: shape)
                if name == reshape, let t { return t.reshaped([t.count]) }
                return t
            }
        }
        XCTAssertThrowsError(try XCLIPModel(configuration: config, source: Edited(base: full, drop: "mit.position_embedding", reshape: nil))) {
            error in
            XCTAssertEqual(error as? ModelError, .missingTensor(name: "mit.position_embedding", expectedShape: [1, 4, 32]))
        }
        XCTAssertThrowsError(try XCLIPModel(configuration: config, source: Edited(base: full, drop: nil, reshape: "visual_projection.weight"))) {
            error in
            XCTAssertEqual(error as? ModelError, .wrongShape(name: "visual_projection.weight", expected: [32, 64], found: [2048]))
        }
    }

    func testConfigurationDefaultsAndErrors() throws {
        let defaults = try XCLIPConfiguration(json: [:])
        XCTAssertEqual(defaults, XCLIPConfiguration())
        XCTAssertEqual(defaults.vision.patchSize, 32)
        XCTAssertEqual(defaults.vision.tokens, 50)
        let patch16 = try XCLIPConfiguration(json: ["vision_config": ["patch_size": 16], "vision_config_dict": ["num_frames": 16]])
        XCTAssertEqual(patch16.vision.tokens, 197)
        XCTAssertEqual(patch16.vision.numFrames, 16)
        XCTAssertThrowsError(try XCLIPConfiguration(json: ["projection_dim": "big"])) { error in
            XCTAssertTrue("\(error)".contains("projection_dim"), "\(error)")
        }
        XCTAssertThrowsError(try XCLIPConfiguration(json: ["vision_config": ["hidden_act": "gelu"]]))
    }
}

/// Sizes read from a file never trap, and a shape cannot claim more bytes than it spans.
final class SafeTensorsSizeTests: XCTestCase {
    private func file(header: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors")
        let h = Array(header.utf8)
        try Data(withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testShapeWhoseByteCountOverflowsIsMalformed() throws {
        // 2^62 F32 elements: 2^64 bytes wraps to 0, which once matched an empty data span.
        for shape in ["[4611686018427387904]", "[9223372036854775807, 4]", "[4294967296, 4294967296]"] {
            let path = try file(header: #"{"a":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,0]}}"#)
            XCTAssertThrowsError(try SafeTensorsFile(path: path), shape) { error in
                XCTAssertTrue("\(error)".contains("64-bit"), "\(error)")
            }
        }
    }

    func testUnknownDTypeIsKeptButNeverAllocated() throws {
        let path = try file(header: #"{"a":{"dtype":"C64","shape":[4611686018427387904],"data_offsets":[0,0]}}"#)
        let st = try SafeTensorsFile(path: path)
        XCTAssertThrowsError(try st.floatTensor("a")) { XCTAssertTrue("\($0)".contains("C64"), "\($0)") }
        XCTAssertThrowsError(try st.integers("a")) { XCTAssertTrue("\($0)".contains("C64"), "\($0)") }
    }
}

/// NaN never passes a comparison, and a model that would compute NaN is refused at load.
final class NonFiniteTests: XCTestCase {
    /// The xclip-tiny fixture's config.json as JSON.
    static func tinyConfigJSON() -> [String: Any] {
        let data = FileManager.default.contents(atPath: ParityTests.fixture.appendingPathComponent("config.json").path)!
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func testComparisonsReportNaNAndInfinity() {
        let good: [Float] = [1, 2, 3], nan: [Float] = [1, .nan, 3], inf: [Float] = [1, 2, .infinity]
        XCTAssertEqual(maxAbsDifference(good, good), 0)
        XCTAssertEqual(maxAbsDifference(good, nan), .infinity)
        XCTAssertEqual(maxAbsDifference(nan, good), .infinity)
        XCTAssertEqual(maxAbsDifference(good, inf), .infinity)
        XCTAssertEqual(firstNonFinite(nan), 1)
        XCTAssertNil(firstNonFinite(good))
    }

    func testNaNWeightIsRefusedByName() throws {
        let config = try XCLIPConfiguration(json: NonFiniteTests.tinyConfigJSON())
        let source = PoisonedSource(base: RandomTensorSource(seed: 1), poisoned: "text_projection.weight")
        XCTAssertThrowsError(try XCLIPModel(configuration: config, source: source)) { error in
            XCTAssertTrue("\(error)".contains("text_projection.weight") && "\(error)".contains("nan"), "\(error)")
        }
    }

    func testImpossibleLayerNormEpsilonIsRefused() throws {
        for eps in [-1.0, 0.0, Double.infinity, 5.0] {
            var json = NonFiniteTests.tinyConfigJSON()
            var vision = json["vision_config"] as! [String: Any]
            vision["layer_norm_eps"] = eps
            json["vision_config"] = vision
            XCTAssertThrowsError(try XCLIPConfiguration(json: json), "eps \(eps)") { error in
                XCTAssertTrue("\(error)".contains("layer_norm_eps"), "\(error)")
            }
        }
    }
}

/// A source whose one named tensor is all NaN.
struct PoisonedSource: TensorSource {
    let base: TensorSource
    let poisoned: String

    func tensor(named name: String, shape: [Int]) throws -> Tensor? {
        guard let t = try base.tensor(named: name, shape: shape) else { return nil }
        if name == poisoned { for i in 0..<t.count { t.data[i] = .nan } }
        return t
    }
}
