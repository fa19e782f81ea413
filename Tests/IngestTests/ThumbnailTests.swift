import Ingest
import XCTest

/// Stored thumbnails are JPEGs within one LMDB page: a plain frame keeps the full 320 px at the
/// finest step; a busy one gives up size and quality in steps until it fits.
final class ThumbnailTests: XCTestCase {
    func testPlainFrameKeepsTheFirstStep() throws {
        var pixels = [UInt8](repeating: 0, count: 1280 * 720 * 3)
        for y in 0..<720 {
            for x in 0..<1280 {
                pixels[(y * 1280 + x) * 3] = UInt8(x / 5)
                pixels[(y * 1280 + x) * 3 + 2] = UInt8(y / 3)
            }
        }
        let jpeg = ThumbnailEncoder.thumbnail(RGBImage(width: 1280, height: 720, pixels: pixels))
        XCTAssertLessThanOrEqual(jpeg.count, ThumbnailEncoder.budget)
        XCTAssertEqual(try Self.size(jpeg).width, 320)
        XCTAssertEqual(try Self.size(jpeg).height, 180)
    }

    func testBusyFrameStepsDownUntilItFits() throws {
        var state: UInt32 = 12345
        var pixels = [UInt8](repeating: 0, count: 1280 * 720 * 3)
        for i in pixels.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            pixels[i] = UInt8(truncatingIfNeeded: state >> 24)
        }
        let image = RGBImage(width: 1280, height: 720, pixels: pixels)
        let first = ThumbnailEncoder.jpeg(image)
        XCTAssertGreaterThan(first.count, ThumbnailEncoder.budget, "noise must not fit at the first step")
        let jpeg = ThumbnailEncoder.thumbnail(image)
        let width = try Self.size(jpeg).width
        XCTAssertLessThan(jpeg.count, first.count)
        XCTAssertTrue(jpeg.count <= ThumbnailEncoder.budget || width == 160, "\(jpeg.count) bytes at \(width) px")
    }

    /// Width and height from the JPEG's baseline frame header (FF C0).
    static func size(_ jpeg: [UInt8]) throws -> (width: Int, height: Int) {
        XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8], "JPEG start marker")
        XCTAssertEqual(Array(jpeg.suffix(2)), [0xFF, 0xD9], "JPEG end marker")
        let i = try XCTUnwrap((0..<(jpeg.count - 9)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }, "no frame header")
        return (Int(jpeg[i + 7]) << 8 | Int(jpeg[i + 8]), Int(jpeg[i + 5]) << 8 | Int(jpeg[i + 6]))
    }
}
