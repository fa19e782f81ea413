import Foundation
import Ingest
import Tensor
import XCLIP

/// Decode + preprocess time per segment against model time per segment (B/32), and end-to-end
/// video-seconds indexed per second, on a 720p H.264 file made with the ffmpeg tool.
enum IngestBenchmark {
    static func run(report: Report) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-bench-ingest-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = dir.appendingPathComponent("720p.mp4").path
        let made = try Subprocess.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=40",
                                                 "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", video])
        guard made.status == 0 else {
            report.skip("ingest", "the ffmpeg tool could not make the 720p H.264 test file (exit \(made.status))")
            return
        }

        let model = try XCLIPModel(configuration: XCLIPConfiguration(), source: RandomTensorSource(seed: 5))
        let preprocessor = FramePreprocessor(PreprocessorConfiguration())
        let plan = SegmentPlan(duration: 40, frames: 8)

        // Decode + preprocess alone (one thread), forward decoding and with seeking.
        for (label, threshold) in [("forward", Double.infinity), ("seek", 1.0)] {
            let t = try Measure.time(repeats: 3, warmup: 0) {
                let decoder = try VideoDecoder(path: video)
                var buffer = [Float](repeating: 0, count: preprocessor.valuesPerFrame)
                for segment in plan.segments {
                    for frame in try decoder.sample(times: segment.frameTimes, seekThreshold: threshold) {
                        buffer.withUnsafeMutableBufferPointer { preprocessor.process(frame.image, into: $0.baseAddress!) }
                    }
                }
            }
            report.add("ingest.decode_preprocess.\(label)", t.median / Double(plan.segments.count), "s/segment", timing: t,
                       note: "720p H.264 30 fps, 8 frames per 4 s segment")
        }
        var rng = SeededRandom(seed: 1)
        let pixels = rng.tensor([4, 8, 3, 224, 224])
        let modelTime = try Measure.time(repeats: 3) { _ = try model.encodeVideos(pixels) }.median / 4
        report.add("ingest.model", modelTime, "s/segment", note: "B/32, batch 4")

        // End to end through the pipeline (decoding thread beside the model).
        let pipeline = try IngestPipeline(model: model, preprocessor: preprocessor)
        let start = Date()
        var thumbnails: [Int] = []
        try pipeline.run(paths: [video]) { event in
            if case let .finished(encoded) = event { thumbnails = encoded.segments.map(\.thumbnail.count) }
        }
        let elapsed = Date().timeIntervalSince(start)
        report.add("ingest.end_to_end", 40 / elapsed, "video-s/s", note: "720p H.264, B/32, pipeline with both cores")
        report.add("ingest.thumbnail_bytes", Double(thumbnails.reduce(0, +)) / Double(max(thumbnails.count, 1)), "bytes",
                   note: "mean over the file's \(thumbnails.count) segments; budget \(ThumbnailEncoder.budget) (one LMDB overflow page)")
        report.add("ingest.peak_memory", Double(Measure.peakResidentBytes()) / 1_048_576, "MiB")
    }
}
