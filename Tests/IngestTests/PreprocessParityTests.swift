import Foundation
import Ingest
import XCLIP
import XCTest

/// Frames preprocessed as the Hugging Face processor of microsoft/xclip-base-patch32 does
/// (fixture made by it): max abs <= 0.02 and mean abs <= 0.002 in normalized units.
final class PreprocessParityTests: XCTestCase {
    func testMatchesTheReferenceProcessor() throws {
        try check("xclip-preprocess.safetensors")
    }

    /// Frames smaller than the crop (upscaled) and one side under it (Tools/preprocess_reference.py).
    func testSmallFramesMatchTheReferenceProcessor() throws {
        try check("xclip-preprocess-small.safetensors")
    }

    private func check(_ name: String) throws {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/" + name)
        let fixture = try SafeTensorsFile(path: url.path)
        let preprocessor = FramePreprocessor(PreprocessorConfiguration())
        var checked = 0
        for i in 0..<5 {
            guard let entry = fixture.entries["input.frame\(i)"], let raw = fixture.bytes(of: "input.frame\(i)") else { continue }
            XCTAssertEqual(entry.dtype, "U8")
            let image = RGBImage(width: entry.shape[1], height: entry.shape[0], pixels: Array(raw))
            let expected = try fixture.floatTensor("out.pixel_values\(i)")
            XCTAssertEqual(expected.shape, [3, 224, 224])
            var ours = [Float](repeating: 0, count: preprocessor.valuesPerFrame)
            ours.withUnsafeMutableBufferPointer { preprocessor.process(image, into: $0.baseAddress!) }
            var maxAbs: Float = 0, sumAbs: Float = 0
            for j in 0..<ours.count {
                XCTAssert(ours[j].isFinite, "frame \(i): value \(j) is \(ours[j])")
                let d = abs(ours[j] - expected[j])
                if !(d <= maxAbs) { maxAbs = d }  // a NaN difference becomes the maximum
                sumAbs += d
            }
            let meanAbs = sumAbs / Float(ours.count)
            XCTAssertLessThanOrEqual(maxAbs, 0.02, "frame \(i) \(image.width)x\(image.height): max abs \(maxAbs)")
            XCTAssertLessThanOrEqual(meanAbs, 0.002, "frame \(i) \(image.width)x\(image.height): mean abs \(meanAbs)")
            checked += 1
        }
        XCTAssertEqual(checked, 5)
    }

    func testConfigurationForms() throws {
        XCTAssertEqual(try PreprocessorConfiguration(json: ["size": 224]).shortestEdge, 224)
        let demo = try PreprocessorConfiguration(json: ["size": ["shortest_edge": 112], "crop_size": ["height": 112, "width": 112]])
        XCTAssertEqual(demo.shortestEdge, 112)
        XCTAssertEqual(demo.cropWidth, 112)
        XCTAssertThrowsError(try PreprocessorConfiguration(json: ["image_std": [0, 1, 1]]))
    }

    /// `resample` was ignored: a bicubic model was resized bilinear without a word.
    func testOnlyTheImplementedResampleIsAccepted() throws {
        XCTAssertNoThrow(try PreprocessorConfiguration(json: ["resample": 2]))
        for value: Any in [3, 0, "bicubic"] {
            XCTAssertThrowsError(try PreprocessorConfiguration(json: ["resample": value]), "\(value)") { error in
                XCTAssertTrue("\(error)".contains("resample"), "\(error)")
            }
        }
        XCTAssertThrowsError(try PreprocessorConfiguration(json: ["size": 1_000_000_000]))
    }
}
