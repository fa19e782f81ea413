import Foundation
import Ingest
import TestSupport
import XCTest

/// A segment cut into an H.264 MP4: it holds exactly the frames of that time range, upright,
/// in a file a browser plays; a bad range or source is an error and leaves no file.
final class ClipWriterTests: XCTestCase {
    func testTheCutHoldsExactlyTheRangesFrames() throws {
        let dir = try temporaryDirectory(self)
        // MPEG-4 Part 2 in AVI: a format browsers do not play.
        let source = dir.appendingPathComponent("counting.avi").path
        try countingClip(source, fps: 10, seconds: 4, codec: ["-c:v", "mpeg4", "-q:v", "2"])
        let out = dir.appendingPathComponent("cut.mp4").path
        try ClipWriter.write(source: source, start: 1.0, end: 2.5, to: out)

        let cut = try VideoDecoder(path: out)
        XCTAssertEqual(cut.info.codec, "h264")
        XCTAssertEqual(cut.info.width, 160)
        XCTAssertEqual(cut.info.height, 96)
        var numbers: [Int] = [], times: [Double] = []
        while let frame = try cut.nextFrame() {
            numbers.append(frameNumber(frame.image.pixels, width: frame.image.width, height: frame.image.height))
            times.append(frame.time)
        }
        XCTAssertEqual(numbers, Array(10..<25), "source frames 10-24: 1.0 s up to 2.5 s at 10 fps")
        XCTAssertEqual(times.first ?? -1, 0, accuracy: 0.001, "the cut starts at 0")
        XCTAssertEqual(times.last ?? -1, 1.4, accuracy: 0.02)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testBadRangesAndSourcesLeaveNoFile() throws {
        let dir = try temporaryDirectory(self)
        let source = dir.appendingPathComponent("counting.mp4").path
        try countingClip(source, fps: 10, seconds: 2, codec: ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        let out = dir.appendingPathComponent("cut.mp4").path
        XCTAssertThrowsError(try ClipWriter.write(source: source, start: 1, end: 1, to: out))
        XCTAssertThrowsError(try ClipWriter.write(source: source, start: 5, end: 6, to: out)) { error in
            XCTAssertTrue("\(error)".contains("no frames"), "\(error)")
        }
        let garbage = dir.appendingPathComponent("garbage.mp4").path
        try Data(repeating: 7, count: 5000).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try ClipWriter.write(source: garbage, start: 0, end: 1, to: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["counting.mp4", "garbage.mp4"])
    }
}
