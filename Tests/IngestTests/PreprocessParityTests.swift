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

    /// Real photos and real H.264 frames (a blocky 176x144 one upscaled, a 720p one downscaled
    /// 3.2x) through X-CLIP's processor (PIL BILINEAR) and CLIP's (PIL BICUBIC), as the hub
    /// checkpoints configure them (Tools/photo_preprocess_reference.py). Measured: every value
    /// within 1e-6 of the reference (the resize is PIL's, bit for bit); the bound is the issue's.
    func testRealFramesMatchBothReferenceProcessors() throws {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/photo-preprocess.safetensors")
        let fixture = try SafeTensorsFile(path: url.path)
        let xclip = PreprocessorConfiguration()
        var clip = PreprocessorConfiguration()
        clip.resample = .bicubic
        clip.mean = [0.48145466, 0.4578275, 0.40821073]
        clip.std = [0.26862954, 0.26130258, 0.27577711]
        var checked = 0
        for i in 0..<6 {
            let entry = try XCTUnwrap(fixture.entries["input.frame\(i)"])
            let image = RGBImage(width: entry.shape[1], height: entry.shape[0], pixels: Array(try XCTUnwrap(fixture.bytes(of: "input.frame\(i)"))))
            for (name, configuration) in [("bilinear", xclip), ("bicubic", clip)] {
                // The reference's 8-bit values, normalized as the processor normalizes them.
                let bytes = Array(try XCTUnwrap(fixture.bytes(of: "out.\(name)\(i)")))
                XCTAssertEqual(bytes.count, 3 * 224 * 224)
                let plane = 224 * 224
                let expected = bytes.indices.map { j -> Float in
                    let ch = j / plane
                    return (Float(bytes[j]) / 255 - configuration.mean[ch]) / configuration.std[ch]
                }
                let (maxAbs, meanAbs) = difference(FramePreprocessor(configuration), image, expected)
                let what = "frame \(i) \(image.width)x\(image.height) \(name)"
                XCTAssertLessThanOrEqual(maxAbs, 0.02, "\(what): max abs \(maxAbs)")
                XCTAssertLessThanOrEqual(meanAbs, 0.002, "\(what): mean abs \(meanAbs)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 12)
    }

    /// Max and mean absolute difference of our preprocessing of `image` from `expected`; a
    /// non-finite value of ours makes both infinite.
    private func difference(_ preprocessor: FramePreprocessor, _ image: RGBImage, _ expected: [Float]) -> (Float, Float) {
        var ours = [Float](repeating: 0, count: preprocessor.valuesPerFrame)
        ours.withUnsafeMutableBufferPointer { preprocessor.process(image, into: $0.baseAddress!) }
        guard ours.count == expected.count, ours.allSatisfy(\.isFinite) else { return (.infinity, .infinity) }
        var maxAbs: Float = 0, sumAbs: Float = 0
        for j in 0..<ours.count {
            let d = abs(ours[j] - expected[j])
            if !(d <= maxAbs) { maxAbs = d }  // a NaN difference becomes the maximum
            sumAbs += d
        }
        return (maxAbs, sumAbs / Float(ours.count))
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
            let (maxAbs, meanAbs) = difference(preprocessor, image, expected.array)
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

    /// Every PIL convolution filter is read by its number; NEAREST (a lookup, used by no CLIP
    /// processor), unknown numbers and names are refused, naming the filter.
    func testOnlyTheImplementedResampleIsAccepted() throws {
        XCTAssertEqual(try PreprocessorConfiguration(json: ["resample": 2]).resample, .bilinear)
        XCTAssertEqual(try PreprocessorConfiguration(json: ["resample": 3]).resample, .bicubic)
        XCTAssertEqual(try PreprocessorConfiguration(json: ["resample": 1]).resample, .lanczos)
        for value: Any in [0, 7, 2.5, "bicubic"] {
            XCTAssertThrowsError(try PreprocessorConfiguration(json: ["resample": value]), "\(value)") { error in
                XCTAssertTrue("\(error)".contains("resample"), "\(error)")
            }
        }
        XCTAssertThrowsError(try PreprocessorConfiguration(json: ["size": 1_000_000_000]))
    }

    /// A processor vidsearch does not reproduce is refused by name rather than approximated.
    func testAnUnknownProcessorTypeIsRefused() throws {
        XCTAssertNoThrow(try PreprocessorConfiguration(json: ["feature_extractor_type": "CLIPFeatureExtractor"]))
        XCTAssertThrowsError(try PreprocessorConfiguration(json: ["image_processor_type": "SiglipImageProcessor"])) { error in
            XCTAssertTrue("\(error)".contains("SiglipImageProcessor"), "\(error)")
        }
    }

    /// `size` as height and width resizes to exactly that, as the processors do (no aspect kept).
    func testAnExactSizeIsHonoured() throws {
        let config = try PreprocessorConfiguration(json: ["size": ["height": 64, "width": 64], "crop_size": 64])
        XCTAssertEqual(FramePreprocessor(config).resizedSize(width: 320, height: 180).width, 64)
        XCTAssertEqual(FramePreprocessor(config).resizedSize(width: 320, height: 180).height, 64)
    }

    /// Without preprocessor_config.json a model gets its family's processor at its own image size.
    func testDefaultsFollowTheModelsFamilyAndSize() throws {
        var clip = XCLIPConfiguration()
        clip.family = .clip
        clip.vision.imageSize = 336
        clip.vision.patchSize = 14
        let c = PreprocessorConfiguration(defaultsFor: clip)
        XCTAssertEqual(c.resample, .bicubic)
        XCTAssertEqual([c.shortestEdge, c.cropHeight, c.cropWidth], [336, 336, 336])
        XCTAssertEqual(c.mean, [0.48145466, 0.4578275, 0.40821073])
        let x = PreprocessorConfiguration(defaultsFor: XCLIPConfiguration())
        XCTAssertEqual(x, PreprocessorConfiguration())
    }
}
