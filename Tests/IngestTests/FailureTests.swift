import Foundation
import Ingest
import Tensor
import TestSupport
import VideoIndex
import XCLIP
import XCTest

/// Each bad input is a per-file error naming the path and the reason; the run goes on.
final class FailureTests: XCTestCase {
    static let tinyModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("XCLIPTests/Fixtures/xclip-tiny")

    func pipeline() throws -> IngestPipeline {
        var config = PreprocessorConfiguration()
        config.shortestEdge = 64
        config.cropHeight = 64
        config.cropWidth = 64
        return try IngestPipeline(
            model: try XCLIPModel(directory: Self.tinyModel), preprocessor: FramePreprocessor(config),
            options: .init(segments: SegmentOptions(length: 2, stride: 2)))
    }

    /// Runs the pipeline; returns per path the error reason, or the finished video.
    func run(_ paths: [String]) throws -> (failed: [String: String], finished: [String: IngestPipeline.EncodedVideo]) {
        var failed: [String: String] = [:], finished: [String: IngestPipeline.EncodedVideo] = [:]
        try pipeline().run(paths: paths) { event in
            switch event {
            case .failed(let error): failed[error.path] = error.reason
            case .finished(let video): finished[video.path] = video
            default: break
            }
        }
        return (failed, finished)
    }

    func testBadFilesFailAloneWithTheirReasons() throws {
        let dir = try temporaryDirectory(self)
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let good = path("good.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", good])
        try "hello".write(toFile: path("text.mp4"), atomically: true, encoding: .utf8)
        try ffmpeg(["-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", path("audio.m4a")])
        _ = FileManager.default.createFile(atPath: path("empty.mp4"), contents: Data())
        // Truncated: an MP4 whose index (moov, written last) is cut off.
        let whole = try Data(contentsOf: URL(fileURLWithPath: good))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path("truncated.mp4")))
        // Absurd dimensions in a header.
        try Data("YUV4MPEG2 W12000 H12000 F25:1 Ip A1:1 C420jpeg\nFRAME\n".utf8 + [UInt8](repeating: 16, count: 64))
            .write(to: URL(fileURLWithPath: path("huge.y4m")))
        let vanished = path("vanished.mp4")

        let (failed, finished) = try run([
            path("text.mp4"), path("audio.m4a"), good, path("empty.mp4"), path("truncated.mp4"),
            path("huge.y4m"), vanished,
        ])
        XCTAssertEqual(Set(finished.keys), [good], "the good file is indexed between the bad ones")
        XCTAssertEqual(finished[good]?.segments.count, 2)
        XCTAssertTrue(failed[path("text.mp4")]?.contains("not a video") == true, "\(failed)")
        XCTAssertEqual(failed[path("audio.m4a")], "no video stream")
        XCTAssertEqual(failed[path("empty.mp4")], "empty file (0 bytes)")
        XCTAssertNotNil(failed[path("truncated.mp4")], "\(failed)")
        XCTAssertTrue(failed[path("huge.y4m")]?.contains("implausible frame size 12000x12000") == true, "\(failed)")
        XCTAssertEqual(failed[vanished], "no such file")
    }

    func testCorruptPacketsMidStreamAreSkippedAndReported() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("damaged.ts").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=160x120:r=10:d=4", "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", path])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = SeededGarbage(seed: 3)
        // Overwrite payload bytes (not the 4-byte TS packet headers) in the middle third.
        for packet in stride(from: bytes.count / 3 / 188, to: 2 * bytes.count / 3 / 188, by: 3) {
            for i in (packet * 188 + 20)..<(packet * 188 + 120) where i < bytes.count { bytes[i] = rng.next() }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (failed, finished) = try run([path])
        XCTAssertTrue(failed.isEmpty, "\(failed)")
        let video = try XCTUnwrap(finished[path])
        XCTAssertEqual(video.segments.count, 2, "what can be decoded is indexed")
        XCTAssertTrue(video.warnings.contains { $0.contains("damaged") }, "\(video.warnings)")
    }

    // An unreadable file (permission denied) is tested through the CLI, as a user who may not
    // read it: CLITests/PermissionTests.swift.
}

struct SeededGarbage {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// A file cut short (a copy that stopped, a recording that died) whose header still promises
/// the whole length: only what decodes is indexed, and the result says so.
extension FailureTests {
    func testTruncatedFilesGetSegmentsOnlyForWhatWasDecoded() throws {
        let dir = try temporaryDirectory(self)
        // 40 s, a keyframe every second; the MKV carries its duration in the header, the MP4 its
        // whole index at the front (faststart).
        let mkv = dir.appendingPathComponent("long.mkv").path, mp4 = dir.appendingPathComponent("long.mp4").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=40", "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", mkv])
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=40", "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", mp4,
        ])
        var paths: [String] = []
        for source in [mkv, mp4] {
            let whole = try Data(contentsOf: URL(fileURLWithPath: source))
            for fraction in [0.25, 0.5, 0.8] {
                let cut = dir.appendingPathComponent("cut-\(Int(fraction * 100))-" + URL(fileURLWithPath: source).lastPathComponent).path
                try whole.prefix(Int(Double(whole.count) * fraction)).write(to: URL(fileURLWithPath: cut))
                paths.append(cut)
            }
        }
        let (failed, finished) = try run(paths + [mkv])
        XCTAssertTrue(failed.isEmpty, "\(failed)")
        XCTAssertEqual(finished[mkv]?.segments.count, 20, "the whole file: 20 segments of 2 s")
        XCTAssertEqual(finished[mkv]?.partial, false)
        for path in paths {
            let video = try XCTUnwrap(finished[path], path)
            XCTAssertTrue(video.partial, path)
            let warning = video.warnings.first { $0.hasPrefix("truncated: decoded") }
            XCTAssertNotNil(warning, "\(path): \(video.warnings)")
            // Every sampled frame is a real, distinct moment: no segment repeats the last frame.
            let last = try XCTUnwrap(video.segments.map(\.segment.end).max())
            XCTAssertLessThan(last, 39, path)
            for s in video.segments {
                XCTAssertEqual(Set(s.segment.frameTimes).count, s.segment.frameTimes.count, "\(path) segment at \(s.segment.start): repeated frames")
                XCTAssertLessThanOrEqual(s.segment.end, last + 1e-9)
            }
            let fraction = Double(URL(fileURLWithPath: path).lastPathComponent.split(separator: "-")[1])! / 100
            XCTAssertEqual(last, 40 * fraction, accuracy: 6, "\(path): about its share of the 40 s")
        }
    }
}

extension FailureTests {
    /// A song with cover art once failed with "cannot seek to 8.25 s (Operation not permitted)".
    func testCoverArtIsNotAVideo() throws {
        let dir = try temporaryDirectory(self)
        let song = dir.appendingPathComponent("song.m4a").path
        try ffmpeg([
            "-f", "lavfi", "-i", "sine=d=10", "-f", "lavfi", "-i", "color=red:s=64x64:d=1", "-map", "0", "-map", "1",
            "-c:a", "aac", "-c:v", "mjpeg", "-frames:v", "1", "-disposition:v", "attached_pic", song,
        ])
        let (failed, finished) = try run([song])
        XCTAssertTrue(finished.isEmpty)
        XCTAssertEqual(failed[song], "no video stream (only cover art, which is not a video)")
    }
}

extension FailureTests {
    /// Finite weights that overflow in the forward pass (a damaged or hostile checkpoint): the
    /// video fails with its reason and the index holds no vector of it.
    func testNonFiniteEmbeddingsFailTheVideoAndStoreNothing() throws {
        let dir = try temporaryDirectory(self)
        let modelDir = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: modelDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.tinyModel.appendingPathComponent("config.json"), to: modelDir.appendingPathComponent("config.json"))
        var bytes = try Data(contentsOf: Self.tinyModel.appendingPathComponent("model.safetensors"))
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        let offsets = (header["visual_projection.weight"] as! [String: Any])["data_offsets"] as! [Int]
        let huge = withUnsafeBytes(of: Float(3e38).bitPattern.littleEndian, Array.init)
        for at in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
            bytes.replaceSubrange(at..<(at + 4), with: huge)
        }
        try bytes.write(to: modelDir.appendingPathComponent("model.safetensors"))
        let model = try XCLIPModel(directory: modelDir)  // every weight is finite: it loads
        var config = PreprocessorConfiguration()
        (config.shortestEdge, config.cropHeight, config.cropWidth) = (64, 64, 64)
        let pipeline = try IngestPipeline(model: model, preprocessor: FramePreprocessor(config))
        let identity = ModelIdentity(name: "overflowing", fingerprint: "x", dimension: model.embeddingSize, promptTokens: model.promptTokenCount)
        let store = try IndexStore(writingAt: dir.appendingPathComponent("index"), model: identity)
        let clip = dir.appendingPathComponent("clip.mp4").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", clip])
        let results = try IndexRun(store: store, pipeline: pipeline).run(files: [clip]) { _ in }
        XCTAssertEqual(results.first?.outcome, .failed)
        XCTAssertTrue(results.first?.detail?.contains("non-finite") == true, "\(results.first?.detail ?? "")")
        XCTAssertEqual(try store.counts().segments, 0)
    }
}

extension FailureTests {
    /// Audio that outlasts the video is not a cut-short file: the video is indexed to its own end,
    /// with a note, not as partial.
    func testVideoShorterThanItsAudioIsNotTruncated() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("long-audio.mkv").path
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=4", "-f", "lavfi", "-i", "sine=d=10",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", path,
        ])
        let (failed, finished) = try run([path])
        XCTAssertTrue(failed.isEmpty, "\(failed)")
        let video = try XCTUnwrap(finished[path])
        XCTAssertFalse(video.partial, "\(video.warnings)")
        XCTAssertFalse(video.warnings.contains { $0.hasPrefix("truncated") }, "\(video.warnings)")
        XCTAssertLessThanOrEqual(try XCTUnwrap(video.segments.map(\.segment.end).max()), 4.5, "no segment past the video's end")
    }
}

/// A video's record says the precision of the products that made its vectors, not the one asked
/// for: where oneDNN cannot run bf16 (a CPU without it, or the AVX2 path forced) the products fall
/// back to OpenBLAS f32 and the video says f32.
extension FailureTests {
    func testTheVideoSaysWhatRanItsProducts() throws {
        defer { ProductEngine.choose(precision: "f32", source: "test") }
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("clip.mp4").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", clip])
        for engine in [ProductEngine.openblas, .onednnF32, .onednnBF16] {
            ProductEngine.current = engine
            let (failed, finished) = try run([clip])
            XCTAssertEqual(failed, [:])
            let expected = engine == .onednnBF16 && ProductEngine.cpuHasBF16 ? "bf16" : "f32"
            XCTAssertEqual(finished[clip]?.precision, expected, "\(engine) (oneDNN ISA \(ProductEngine.oneDNNISA))")
        }
    }
}
