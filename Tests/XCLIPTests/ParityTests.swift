import Foundation
import Tensor
import XCLIP
import XCTest

/// The model against the Hugging Face reference on the xclip-tiny fixture (random weights,
/// 2 videos x 4 frames, 3 texts): every output within 1e-4 relative to its largest value.
final class ParityTests: XCTestCase {
    static var fixture: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/xclip-tiny") }

    // The reference's precision, in whichever library this CPU's f32 default uses.
    override func setUp() { ProductEngine.choose(precision: "f32", source: "test") }

    func testEveryOutputMatchesTheReference() throws {
        let model = try XCLIPModel(directory: Self.fixture)
        let reference = try SafeTensorsFile(path: Self.fixture.appendingPathComponent("io.safetensors").path)
        let results = try ReferenceCheck.run(model: model, reference: reference)
        XCTAssertEqual(results.count, ReferenceCheck.outputNames(for: .xclip).count)
        for result in results {
            XCTAssertNil(result.problem, "\(result.name): \(result.problem ?? "")")
            let error = try XCTUnwrap(result.error, result.name)
            XCTAssertLessThanOrEqual(error, 1e-4, "\(result.name) relative error \(error)")
        }
    }
}
