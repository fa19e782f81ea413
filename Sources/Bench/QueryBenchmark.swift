import CommandSupport
import Foundation
import Ingest
import Query
import Tensor
import VideoIndex
import XCLIP

/// Query latency at B/32 size: the prompt rerank of 100 candidates (folded form, and the plain
/// per-candidate form of the spec for comparison), and whole queries over an index of random segments.
public enum QueryBenchmark {
    public static func run(report: Report, segments: Int) throws {
        let config = XCLIPConfiguration()  // B/32 shapes
        let model = try XCLIPModel(configuration: config, source: RandomTensorSource(seed: 7))
        let p = model.embeddingSize, n = model.promptTokenCount
        var rng = SeededRandom(seed: 3)

        // Rerank alone, on tokens in memory: folded and batched vs plain per candidate.
        let text = (0..<p).map { _ in rng.uniform() }
        let tokens = rng.tensor([100, n, p], scale: 2)
        let folded = Measure.time(repeats: 31, warmup: 3) { _ = model.promptedTextEmbedding(text, videos: tokens.data, count: 100) }
        let plain = Measure.time(repeats: 3, warmup: 1) {
            for c in 0..<100 { _ = model.promptedTextEmbeddings([text], promptTokens: tokens.data + c * n * p) }
        }
        report.add(
            "query.rerank100.folded", folded.median * 1000, "ms", timing: folded, ratio: plain.median / folded.median,
            ratioTo: "plain form (x faster)", note: "prompt generator for 100 candidates, B/32 sizes")
        report.add("query.rerank100.plain", plain.median * 1000, "ms", timing: plain)
        // The folded form again with every product in OpenBLAS f32: what this CPU's default gains.
        let products = ProductEngine.current
        if products != .openblas {
            ProductEngine.current = .openblas
            let f32 = Measure.time(repeats: 31, warmup: 3) { _ = model.promptedTextEmbedding(text, videos: tokens.data, count: 100) }
            ProductEngine.current = products
            report.add(
                "query.rerank100.folded.openblas_f32", f32.median * 1000, "ms", timing: f32, ratio: f32.median / folded.median,
                ratioTo: "\(products.rawValue) (x slower)", note: "the same with the products in OpenBLAS f32")
        }

        // Whole queries over an index of random segments.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let identity = ModelIdentity(name: "bench-b32", fingerprint: "random-seed-7", dimension: p, promptTokens: n)
        let store = try IndexStore(writingAt: dir, model: identity)
        let perVideo = 100
        // Every segment carries the thumbnail of a noise frame: the budget's worst case.
        var state: UInt32 = 1
        let noise = (0..<(1280 * 720 * 3)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        let thumbnail = ThumbnailEncoder.thumbnail(RGBImage(width: 1280, height: 720, pixels: noise))
        for v in 0..<(segments / perVideo) {
            var batch: [EncodedSegment] = []
            for s in 0..<perVideo {
                let record = SegmentRecord(start: Double(s) * 4, end: Double(s) * 4 + 4, frameTimes: [])
                batch.append(
                    EncodedSegment(
                        segment: record, embedding: (0..<p).map { _ in rng.uniform() },
                        promptTokens: (0..<(n * p)).map { _ in rng.uniform(2) }, thumbnail: thumbnail))
            }
            try store.put(video: VideoRecord(path: "/bench/video\(v).mp4", fingerprint: "b\(v)", size: 1, mtime: 0), segments: batch)
        }
        try IndexCaches.save(store)
        let bytes = DiskUsage.bytes(under: dir)
        report.add(
            "index.bytes_per_segment.b32", Double(bytes) / Double(segments), "bytes",
            note:
                "LMDB + FAISS, \(segments) segments, 8-bit prompt tokens, a \(thumbnail.count)-byte thumbnail each (a noise frame's, the worst case)")
        // The writer's own store: LMDB forbids a second environment on a file this process has open.
        let reader = store
        let engine = try SearchEngine(model: model, tokenizer: try CLIPTokenizer(directory: Defaults.modelDirectory(nil)), store: reader)
        let queries = ["a man opening a car door", "a dog catching a frisbee", "two people shaking hands", "a red circle moving left"]
        var samples: [Double] = []
        for round in 0..<40 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try engine.search(queries[round % queries.count])
            if round >= 4 { samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        report.add("query.whole.\(segments / 1000)k.p50", p50, "ms", note: "text + FAISS \(engine.vectors.factory) + rerank of 100")
        report.add("query.whole.\(segments / 1000)k.p99", p99, "ms")
    }
}
