import Foundation
import Tensor
import XCTest

@testable import XCLIP

/// pytorch_model.bin files written by torch's own `torch.save` (Tools/torch_save_fixtures.py):
/// every float tensor equals what torch held, in f32, f16 and bf16, views of a shared storage
/// included; a pickle that would call a function is refused, and nothing runs.
final class TorchCheckpointTests: XCTestCase {
    static var fixtures: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/torch-save") }

    private func assertMatches(_ file: String, _ group: String, count: Int, file line: StaticString = #filePath, at number: UInt = #line) throws {
        let checkpoint = try TorchCheckpoint(path: Self.fixtures.appendingPathComponent(file).path)
        let expected = try SafeTensorsFile(path: Self.fixtures.appendingPathComponent("expected.safetensors").path)
        let names = expected.entries.keys.filter { $0.hasPrefix(group + "/") }.sorted()
        XCTAssertEqual(names.count, count, file: line, line: number)
        for key in names {
            let name = String(key.dropFirst(group.count + 1))
            let want = try expected.floatTensor(key)
            let got = try XCTUnwrap(try checkpoint.tensor(named: name, shape: want.shape), name, file: line, line: number)
            XCTAssertEqual(got.shape, want.shape, name, file: line, line: number)
            XCTAssertEqual(got.array, want.array, "\(file) \(name)", file: line, line: number)  // bit for bit: a NaN would differ
        }
    }

    func testStateDictsInEveryFloatTypeReadAsTorchHeldThem() throws {
        try assertMatches("f32.bin", "f32", count: 4)
        try assertMatches("f16.bin", "f16", count: 4)
        try assertMatches("bf16.bin", "bf16", count: 4)
        let half = try TorchCheckpoint(path: Self.fixtures.appendingPathComponent("f16.bin").path)
        XCTAssertTrue(half.isHalf("text_projection.weight"))
        // The int64 buffer is listed but is no float tensor.
        XCTAssertTrue(half.names.contains("vision_model.embeddings.position_ids"))
        XCTAssertThrowsError(try half.floatTensor("vision_model.embeddings.position_ids")) { error in
            XCTAssertTrue("\(error)".contains("Long"), "\(error)")
        }
        XCTAssertNil(try half.tensor(named: "absent", shape: [1]))
    }

    func testViewsOfOneStorageKeepTheirOffsetsAndStrides() throws {
        try assertMatches("shared.bin", "shared", count: 4)
    }

    func testAPickleThatCallsAFunctionIsRefusedAndNothingRuns() throws {
        let path = Self.fixtures.appendingPathComponent("global.bin").path
        XCTAssertThrowsError(try TorchCheckpoint(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("refuses the global posix.system") || text.contains("refuses the global os.system"), text)
            XCTAssertTrue(text.contains(path), "names the file: \(text)")
        }
    }

    func testDamagedArchivesAreNamedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try Data(contentsOf: Self.fixtures.appendingPathComponent("f32.bin"))
        let cases: [(String, Data)] = [
            ("cut.bin", whole.prefix(whole.count / 2)),
            ("empty.bin", Data()),
            ("text.bin", Data(String(repeating: "not a zip archive\n", count: 10).utf8)),
        ]
        for (name, bytes) in cases {
            let path = dir.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try TorchCheckpoint(path: path), name) { error in
                XCTAssertTrue("\(error)".contains(path), "\(name): \(error)")
            }
        }
        // Every truncation of the pickle is an error, never a crash.
        let archive = try ZipArchive(path: Self.fixtures.appendingPathComponent("f32.bin").path)
        let pickle = try XCTUnwrap(archive.members.first { $0.key.hasSuffix("data.pkl") }?.value)
        let bytes = archive.bytes(pickle)
        for cut in stride(from: 0, to: bytes.count - 1, by: 7) {
            XCTAssertThrowsError(try TorchUnpicklerProbe.read(UnsafeRawBufferPointer(rebasing: bytes[0..<cut])), "cut at \(cut)")
        }
    }

    func testAModelFromPytorchModelBinMatchesTheReference() throws {
        // clip-tiny's weights as torch.save wrote them, alone beside the config.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["config.json", "pytorch_model.bin"] {
            try FileManager.default.copyItem(at: CLIPParityTests.fixture.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        ProductEngine.choose(precision: "f32", source: "test")
        let model = try XCLIPModel(directory: dir)
        let reference = try SafeTensorsFile(path: CLIPParityTests.fixture.appendingPathComponent("io.safetensors").path)
        let results = try ReferenceCheck.run(model: model, reference: reference)
        XCTAssertEqual(results.count, ReferenceCheck.outputNames(for: .clip).count)
        for result in results {
            XCTAssertNil(result.problem, "\(result.name): \(result.problem ?? "")")
            XCTAssertLessThanOrEqual(try XCTUnwrap(result.error, result.name), 1e-4, result.name)
        }
    }

    func testAModelDirectoryWithOnlyPytorchModelBinLoadsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(
            XCLIPModel.weightsFile(in: dir), .safetensors(dir.appendingPathComponent("model.safetensors").path),
            "with neither, the error names model.safetensors")
        try Data().write(to: dir.appendingPathComponent("pytorch_model.bin"))
        XCTAssertEqual(XCLIPModel.weightsFile(in: dir), .torch(dir.appendingPathComponent("pytorch_model.bin").path))
        try Data().write(to: dir.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(XCLIPModel.weightsFile(in: dir), .safetensors(dir.appendingPathComponent("model.safetensors").path), "safetensors first")
    }
}

enum TorchUnpicklerProbe {
    static func read(_ bytes: UnsafeRawBufferPointer) throws { _ = try TensorUnpickler(path: "probe").read(bytes) }
}
