import XCTest

@testable import Ingest

/// The cheap reduction behind shot-aware thumbnails: the size the thumbnail wants, flat colours
/// kept exactly, and where things are kept (a half-red, half-blue frame stays so).
final class ThumbnailSourceTests: XCTestCase {
    private func image(width: Int, height: Int, _ colour: (Int, Int) -> (UInt8, UInt8, UInt8)) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = colour(x, y)
                pixels[(y * width + x) * 3] = r
                pixels[(y * width + x) * 3 + 1] = g
                pixels[(y * width + x) * 3 + 2] = b
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func testSizesAndColoursSurvive() {
        for (w, h) in [(1920, 1080), (1280, 720), (3840, 2160), (720, 480), (300, 200)] {
            let halves = image(width: w, height: h) { x, _ in x < w / 2 ? (200, 10, 10) : (10, 10, 200) }
            let small = ThumbnailSource.reduce(halves)
            XCTAssertEqual(small.width, min(w, ThumbnailEncoder.maxWidth), "\(w)x\(h)")
            XCTAssertEqual(Double(small.height), Double(h) * Double(small.width) / Double(w), accuracy: 2, "\(w)x\(h)")
            let left = small[small.width / 8, small.height / 2], right = small[small.width * 7 / 8, small.height / 2]
            XCTAssertEqual([left.r, left.g, left.b], [200, 10, 10], "\(w)x\(h)")
            XCTAssertEqual([right.r, right.g, right.b], [10, 10, 200], "\(w)x\(h)")
        }
    }
}
