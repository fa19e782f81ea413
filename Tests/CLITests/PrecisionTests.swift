import Foundation
import TestSupport
import XCTest

/// `--precision` picks oneDNN for the model's products and says so; the f32 path keeps the
/// reference's 1e-4; a wrong value is a usage error.
final class PrecisionTests: XCTestCase {
    private let model = CLI.repository.appendingPathComponent("Models/xclip-demo").path

    func testPrecisionIsChosenReportedAndKeepsTheReference() throws {
        let plain = try CLI.run(["model", "info", "--model", model, "--json"], environment: ["VIDSEARCH_GEMM": ""])
        XCTAssertEqual((plain.json.first?["products"] as? [String: Any])?["engine"] as? String, "openblas")
        let f32 = try CLI.run(["model", "info", "--model", model, "--precision", "f32", "--json"])
        let products = try XCTUnwrap(f32.json.first?["products"] as? [String: Any])
        XCTAssertEqual(products["engine"] as? String, "onednn-f32")
        XCTAssertEqual(products["why"] as? String, "oneDNN f32 (--precision f32)")
        let check = try CLI.run(["model", "check", "--model", model, "--reference", model + "/reference.safetensors", "--precision", "f32"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertEqual(try CLI.run(["model", "info", "--model", model, "--precision", "fp8"]).status, 2)
        let auto = try CLI.run(["model", "info", "--model", model, "--precision", "auto", "--json"])
        let engine = (auto.json.first?["products"] as? [String: Any])?["engine"] as? String
        XCTAssertTrue(engine == "onednn-bf16" || engine == "onednn-f32", "\(engine ?? "none")")
    }
}
