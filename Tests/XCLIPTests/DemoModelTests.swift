import Foundation
import Tensor
import XCLIP
import XCTest

/// The bundled demo model loads through the same path as the official checkpoints (f16 weights)
/// and matches its own reference dump, made by transformers when it was exported.
final class DemoModelTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models/xclip-demo")

    // The reference's precision, in whichever library this CPU's f32 default uses.
    override func setUp() { ProductEngine.choose(precision: "f32", source: "test") }

    func testBundledModelMatchesItsReferenceDump() throws {
        let model = try XCLIPModel(directory: Self.directory)
        XCTAssertEqual(model.configuration.vision.imageSize, 64)
        XCTAssertEqual(model.configuration.vision.patchSize, 8)
        let reference = try SafeTensorsFile(path: Self.directory.appendingPathComponent("reference.safetensors").path)
        let results = try ReferenceCheck.run(model: model, reference: reference)
        XCTAssertEqual(results.count, ReferenceCheck.outputNames(for: .xclip).count)
        for result in results {
            XCTAssertNil(result.problem, "\(result.name): \(result.problem ?? "")")
            XCTAssertLessThanOrEqual(try XCTUnwrap(result.error, result.name), 1e-4, result.name)
        }
    }
}
