import Foundation
import Ingest
import TestSupport
import XCTest

/// Real files made by the ffmpeg tool in several containers and codecs.
final class DecodingTests: XCTestCase {
    struct Format {
        let name: String
        let ext: String
        let codec: [String]
    }
    static let formats = [
        Format(name: "h264", ext: "mp4", codec: ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
        Format(name: "hevc", ext: "mkv", codec: ["-c:v", "libx265", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"]),
        Format(name: "vp9", ext: "webm", codec: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
        Format(name: "mpeg4", ext: "avi", codec: ["-c:v", "mpeg4", "-q:v", "3"]),
        Format(name: "mjpeg", ext: "mov", codec: ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p"]),
    ]

    func testFormatsDurationSegmentsAndFrameTimes() throws {
        let dir = try temporaryDirectory(self)
        for format in Self.formats {
            let path = dir.appendingPathComponent("clip.\(format.ext)").path
            try countingClip(path, fps: 10, seconds: 3, codec: format.codec)
            let decoder = try VideoDecoder(path: path)
            XCTAssertEqual(decoder.info.codec, format.name)
            XCTAssertEqual(decoder.info.width, 160, format.name)
            XCTAssertEqual(decoder.info.height, 96, format.name)
            XCTAssertEqual(decoder.info.duration, 3, accuracy: 0.11, format.name)
            let plan = SegmentPlan(duration: decoder.info.duration, length: 2, stride: 2, frames: 4)
            XCTAssertEqual(plan.segments.count, 2, format.name)
            // Wanted 0.25 s -> frame 2 (shown 0.2-0.3 s); 1.05 -> 10; 2.95 -> 29.
            let frames = try decoder.sample(times: [0.25, 1.05, 2.95])
            XCTAssertEqual(frames.map { frameNumber($0.image.pixels, width: 160, height: 96) }, [2, 10, 29], format.name)
            for (time, expected) in zip(frames.map(\.time), [0.2, 1.0, 2.9]) {
                XCTAssertEqual(time, expected, accuracy: 1e-6, format.name)
            }
        }
    }

    func testSeekingGivesTheSameFramesAsDecodingForward() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("long.mp4").path
        try countingClip(path, fps: 10, seconds: 12, size: "512x64", codec: ["-c:v", "libx264", "-g", "20", "-pix_fmt", "yuv420p"])
        let times = [0.55, 5.05, 11.35]
        let forward = try VideoDecoder(path: path).sample(times: times)
        let seeking = try VideoDecoder(path: path).sample(times: times, seekThreshold: 1)
        XCTAssertEqual(forward.map(\.time), seeking.map(\.time))
        XCTAssertEqual(seeking.map { frameNumber($0.image.pixels, width: 512, height: 64) }, [5, 50, 113])
    }

    /// Frame threads decode the same pixels as one thread; skipping the loop filter far from the
    /// wanted frames gives the same frames and times, and pixels close to exact decoding.
    func testDecodingThreadsAreExactAndTheLoopFilterShortcutStaysClose() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("busy.mp4").path
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=6", "-c:v", "libx264", "-preset", "veryfast",
            "-g", "250", "-pix_fmt", "yuv420p", path,
        ])
        let times = [0.5, 2.25, 4.05, 5.9]
        let exact = try VideoDecoder(path: path).sample(times: times)
        let threaded = try VideoDecoder(path: path, threads: 2).sample(times: times)
        XCTAssertEqual(try VideoDecoder(path: path, threads: 0).threads, 1, "a small frame: one thread")
        XCTAssertEqual(VideoDecoder.threads(width: 1920, height: 1080), 2)
        XCTAssertEqual(threaded.map(\.time), exact.map(\.time))
        XCTAssertTrue(threaded.map(\.image) == exact.map(\.image), "two threads decode the same pixels")

        let fast = try VideoDecoder(path: path)
        fast.skipLoopFilterWhenFar = true
        let shortcut = try fast.sample(times: times)
        XCTAssertEqual(shortcut.map(\.time), exact.map(\.time))
        XCTAssertFalse(shortcut.map(\.image) == exact.map(\.image), "the shortcut ran (some pixel differs)")
        for (a, b) in zip(shortcut, exact) {
            let diff = zip(a.image.pixels, b.image.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(a.image.pixels.count)
            XCTAssertTrue(diff < 2, "mean absolute difference \(diff) of 255 at \(a.time) s")  // NaN fails too
        }
    }

    /// Frames on screen at no wanted time are dropped where nothing refers to them (H.264 and HEVC
    /// B-frames), sampled as the pipeline samples (8 frames per 4 s segment, call after call): the
    /// frames returned are the same, bit for bit, and fewer frames are decoded.
    func testDroppingUnneededFramesIsExact() throws {
        let dir = try temporaryDirectory(self)
        for (name, codec) in [
            ("h264.mp4", ["-c:v", "libx264", "-preset", "veryfast"]),
            ("hevc.mkv", ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:bframes=4"]),
        ] {
            let path = dir.appendingPathComponent(name).path
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=9"] + codec + ["-g", "250", "-pix_fmt", "yuv420p", path])
            let plan = SegmentPlan(duration: 9, frames: 8)
            XCTAssertEqual(plan.segments.count, 2)
            for threads in [1, 2] {
                let every = try VideoDecoder(path: path, threads: threads)
                every.skipsUnneededFrames = false
                let dropping = try VideoDecoder(path: path, threads: threads)
                XCTAssertTrue(dropping.skipsUnneededFrames, "on by default")
                // Two segments, then times closer than a frame apart and one at the last frame.
                for times in plan.segments.map(\.frameTimes) + [[8.01, 8.02, 8.9, 8.99]] {
                    let a = try every.sample(times: times), b = try dropping.sample(times: times)
                    XCTAssertEqual(b.map(\.time), a.map(\.time), "\(name), \(threads) threads")
                    XCTAssertTrue(b.map(\.image) == a.map(\.image), "\(name), \(threads) threads: the same pixels")
                }
                XCTAssertGreaterThan(every.decodedFrames, 260, name)
                XCTAssertLessThan(Double(dropping.decodedFrames), 0.8 * Double(every.decodedFrames), "\(name): frames were dropped")
            }
        }
    }

    func testRotationMetadataIsApplied() throws {
        let dir = try temporaryDirectory(self)
        let plain = dir.appendingPathComponent("plain.mp4").path
        let rotated = dir.appendingPathComponent("rotated.mp4").path
        // A 160x96 frame with a white bar at the left; the phone-style tag turns it upright.
        try ffmpeg([
            "-f", "lavfi", "-i", "color=c=black:s=160x96:r=5:d=1", "-vf", "drawbox=x=0:y=0:w=20:h=ih:color=white:t=fill",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", plain,
        ])
        try ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated])
        let decoder = try VideoDecoder(path: rotated)
        XCTAssertEqual(decoder.info.rotation, 270)
        XCTAssertEqual(decoder.info.width, 96)
        XCTAssertEqual(decoder.info.height, 160)
        let frame = try XCTUnwrap(try decoder.nextFrame())
        XCTAssertEqual(frame.image.width, 96)
        XCTAssertEqual(frame.image.height, 160)
        // The tag's display matrix turns the picture a quarter counterclockwise (ffprobe: rotation=90;
        // ffmpeg's own autorotation puts the left bar at the bottom), which is 270 degrees clockwise.
        XCTAssertGreaterThan(frame.image[48, 155].r, 200)
        XCTAssertLessThan(frame.image[48, 5].r, 50)
    }

    func testVariableFrameRateTimesComeFromTimestamps() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("vfr.mkv").path
        // Frames at 0, 0.1, 0.2, then a 1 s gap, then 10 fps again.
        try ffmpeg([
            "-f", "lavfi", "-i", "color=c=black:s=64x64:r=10:d=3",
            "-vf", "select='not(between(n,3,12))',setpts='if(lt(N,3),N/10,(N+10)/10)/TB'",
            "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p", path,
        ])
        let decoder = try VideoDecoder(path: path)
        var times: [Double] = []
        while let t = try decoder.skipFrame() { times.append(t) }
        XCTAssertEqual(times.prefix(4).map { ($0 * 10).rounded() / 10 }, [0, 0.1, 0.2, 1.3])
        let sampled = try VideoDecoder(path: path).sample(times: [0.9])
        XCTAssertEqual(sampled[0].time, 0.2, accuracy: 1e-6, "the frame on screen during the gap")
    }

    func testNonZeroStartTimeIsMeasuredFromTheFileStart() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("offset.ts").path
        try ffmpeg([
            "-f", "lavfi", "-i", "color=c=black:s=64x64:r=10:d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-output_ts_offset", "5", path,
        ])
        let decoder = try VideoDecoder(path: path)
        let first = try XCTUnwrap(try decoder.skipFrame())
        XCTAssertEqual(first, 0, accuracy: 0.05)
        XCTAssertEqual(decoder.info.duration, 2, accuracy: 0.15)
    }

    func testOddFrameSizes() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("odd.mkv").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=97x53:r=5:d=1", "-c:v", "ffv1", path])
        let decoder = try VideoDecoder(path: path)
        let frame = try XCTUnwrap(try decoder.nextFrame())
        XCTAssertEqual(frame.image.width, 97)
        XCTAssertEqual(frame.image.height, 53)
    }

    /// Each file's own colour matrix and range: pure red flagged BT.709 (limited and full range)
    /// decodes to pure red; converted with BT.601, as swscale assumes, it came out as (233, 0, 2).
    func testColourMatrixAndRangeOfTheFrameAreUsed() throws {
        let dir = try temporaryDirectory(self)
        for (range, flag) in [("tv", "tv"), ("pc", "pc")] {
            let path = dir.appendingPathComponent("red-709-\(range).mp4").path
            try ffmpeg([
                "-f", "lavfi", "-i", "color=c=0xFF0000:s=64x64:d=1", "-vf", "scale=out_color_matrix=bt709:out_range=\(range)",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", flag,
                "-c:v", "libx264", "-pix_fmt", "yuv420p", path,
            ])
            let frame = try XCTUnwrap(try VideoDecoder(path: path).nextFrame())
            let i = (32 * frame.image.width + 32) * 3
            let rgb = Array(frame.image.pixels[i..<(i + 3)]).map(Int.init)
            XCTAssertEqual(rgb[0], 255, accuracy: 6, "\(range): \(rgb)")
            XCTAssertEqual(rgb[1], 0, accuracy: 6, "\(range): \(rgb)")
            XCTAssertEqual(rgb[2], 0, accuracy: 6, "\(range): \(rgb)")
        }
    }
}
