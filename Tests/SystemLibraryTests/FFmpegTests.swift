import Ingest
import TestSupport
import XCTest

final class FFmpegTests: XCTestCase {
    /// A synthetic clip: 2 s of a test pattern at 10 fps, 96x64, H.264 in MP4.
    func testOpenReadFactsAndDecodeToRGB() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("clip.mp4").path
        try ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=96x64:r=10:d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", path])

        let decoder = try VideoDecoder(path: path)
        XCTAssertEqual(decoder.info.codec, "h264")
        XCTAssertEqual(decoder.info.width, 96)
        XCTAssertEqual(decoder.info.height, 64)
        XCTAssertEqual(decoder.info.rotation, 0)
        XCTAssertEqual(decoder.info.duration, 2, accuracy: 0.05)
        XCTAssertEqual(decoder.info.frameRate, 10, accuracy: 0.01)

        let first = try XCTUnwrap(try decoder.nextFrame())
        XCTAssertEqual(first.time, 0, accuracy: 1e-6)
        XCTAssertEqual(first.image.width, 96)
        XCTAssertEqual(first.image.height, 64)
        let (r, g, b) = first.image[48, 32]
        XCTAssertGreaterThan(r, 230, "red channel of a red frame")
        XCTAssertLessThan(g, 25)
        XCTAssertLessThan(b, 25)

        var times = [first.time]
        while let frame = try decoder.nextFrame() { times.append(frame.time) }
        XCTAssertEqual(times.count, 20)
        XCTAssertEqual(times.last!, 1.9, accuracy: 1e-6)
    }

    func testNotAVideoIsAnErrorNamingTheFile() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("notes.mp4").path
        try "just some text, not a video".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try VideoDecoder(path: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
        }
    }
}
