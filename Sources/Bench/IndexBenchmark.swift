import CommandSupport
import Dispatch
import Foundation
import Query
import Tensor
import VideoIndex
import XCLIP

/// The index at archive scale: `count` random 512-d segment vectors (prompt tokens for a subset),
/// written through IndexStore (LMDB) and cached in FAISS the way the product builds it; exact and
/// approximate search latency at k = 100, recall@100 of the approximate index against the exact
/// one, disk per segment, and whole queries (text + approximate search + rerank of 100).
///
/// The vectors are ArchiveVectors with one video per topic; recall is also measured on a second
/// shape, ten videos per topic.
public enum IndexBenchmark {
    public static func run(report: Report, count: Int, promptSubset: Int) throws {
        let config = XCLIPConfiguration()  // B/32 shapes
        let model = try XCLIPModel(configuration: config, source: RandomTensorSource(seed: 7))
        let p = model.embeddingSize, n = model.promptTokenCount
        let subset = min(promptSubset, count)
        var rng = SeededRandom(seed: 21)
        // The default nprobe is chosen on this shape (one video per topic, the harder one);
        // recall on a second shape is measured at the end (recallOnSecondShape).
        var archive = ArchiveVectors(count: count, dimension: p, videosPerTopic: 1, seed: 21)
        func segmentVector(_ i: Int) -> [Float] { archive.segment(i, &rng) }
        func queryVector(_ rng: inout SeededRandom) -> [Float] { archive.query(&rng) }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-bench-index-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let identity = ModelIdentity(name: "bench-b32", fingerprint: "random-seed-7", dimension: p, promptTokens: n)
        let store = try IndexStore(writingAt: dir, model: identity)

        // 1. LMDB: one transaction per 100-segment "video", as ingest commits them.
        let perVideo = 100
        var lmdbSeconds = 0.0, written = 0
        progress("writing \(count) segments to LMDB")
        while written < count {
            let batchCount = min(perVideo, count - written)
            let batch = (0..<batchCount).map { s -> EncodedSegment in
                let id = written + s
                let record = SegmentRecord(start: Double(s) * 4, end: Double(s) * 4 + 4, frameTimes: [])
                return EncodedSegment(
                    segment: record, embedding: segmentVector(id),
                    promptTokens: id < subset ? (0..<(n * p)).map { _ in rng.uniform(2) } : [],
                    thumbnail: [])
            }
            let start = DispatchTime.now().uptimeNanoseconds
            try store.put(
                video: VideoRecord(path: "/bench/video\(written / perVideo).mp4", fingerprint: "b\(written)", size: 1, mtime: 0),
                segments: batch)
            lmdbSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            written += batchCount
        }
        report.add(
            "index.\(label(count)).add.lmdb", Double(count) / lmdbSeconds, "segments/s",
            note: "IndexStore.put, one transaction per 100 segments; \(subset) with 8-bit prompt tokens")

        // 2. FAISS: the product's cache for this size, built from LMDB and saved.
        progress("building the vector cache")
        var start = DispatchTime.now().uptimeNanoseconds
        let cache = try VectorCache.rebuild(store)
        let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try cache.save(in: dir)
        report.add(
            "index.\(label(count)).add.faiss", Double(count) / buildSeconds, "vectors/s",
            note: "\(cache.factory) built from LMDB (k-means on a sample, then every vector), 2 cores")
        let bytes = DiskUsage.bytes(under: dir)
        report.add(
            "index.\(label(count)).bytes_per_segment", Double(bytes) / Double(count), "bytes",
            note: "LMDB + FAISS with \(subset) of \(count) segments holding prompt tokens (\(n)x\(p) 8-bit each)")

        // 2b. Merge: this index as a shard, imported whole by `vidsearch merge` in another
        // process (it reads while this one holds the writer lock), cache rebuild included.
        if count <= 200_000 {
            progress("merging it into an empty index")
            let target = dir.deletingLastPathComponent().appendingPathComponent("vidsearch-bench-merge-\(getpid())")
            defer { try? FileManager.default.removeItem(at: target) }
            let binary = Defaults.executable.path
            start = DispatchTime.now().uptimeNanoseconds
            let merged = try Subprocess.run(binary, ["merge", dir.path, "--index", target.path])
            let mergeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if merged.status == 0 {
                report.add(
                    "index.\(label(count)).merge", Double(count) / mergeSeconds, "segments/s",
                    note:
                        "vidsearch merge of this index into an empty one: every record copied, one transaction per video, then the vector cache rebuilt"
                )
            }
        }

        // 3. Exact search: a Flat index of the same vectors, the ground truth.
        progress("building the exact index")
        let exact = try FaissIndex(dimension: p, factory: "Flat")
        var ids: [Int64] = [], vectors: [Float] = []
        try store.forEachVector { id, v in
            ids.append(id)
            vectors += VectorCache.normalized(v)
            if ids.count == 16384 {
                try exact.add(vectors, ids: ids)
                ids.removeAll(keepingCapacity: true)
                vectors.removeAll(keepingCapacity: true)
            }
        }
        if !ids.isEmpty { try exact.add(vectors, ids: ids) }

        progress("searching")
        var queryRng = SeededRandom(seed: 77)
        let queries = (0..<100).map { _ in queryVector(&queryRng) }
        var truths: [Set<Int64>] = [], exactTimes: [Double] = []
        for (i, q) in queries.enumerated() {
            start = DispatchTime.now().uptimeNanoseconds
            truths.append(Set(try exact.search(q, k: 100)[0].map(\.id)))
            if i >= 3 { exactTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        let (ep50, ep99) = percentiles(exactTimes)
        report.add("index.\(label(count)).search.exact.p50", ep50, "ms", note: "Flat, k=100, one query at a time")
        report.add("index.\(label(count)).search.exact.p99", ep99, "ms")
        // The approximate index at its default setting and at a few others (recall against speed).
        let lists = VectorCache.lists(inFactory: cache.factory)
        let defaultProbes = lists.map(VectorCache.probes) ?? 0
        let settings = lists.map { l in Array(Set([8, 16, 32, 64, defaultProbes].filter { $0 <= l })).sorted() } ?? [0]
        for probes in settings {
            if probes > 0 { try cache.index.setParameter("nprobe", Double(probes)) }
            var times: [Double] = [], recall = 0.0
            for (i, q) in queries.enumerated() {
                start = DispatchTime.now().uptimeNanoseconds
                let found = try cache.index.search(q, k: 100)[0]
                if i >= 3 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
                recall += Double(found.filter { truths[i].contains($0.id) }.count) / Double(max(truths[i].count, 1))
            }
            let (p50, p99) = percentiles(times)
            let name = "index.\(label(count)).search.approximate" + (probes == defaultProbes || probes == 0 ? "" : ".nprobe\(probes)")
            report.add(
                name + ".p50", p50, "ms", ratio: ep50 / p50, ratioTo: "exact (x faster)",
                note: "\(cache.factory)\(probes > 0 ? ", nprobe \(probes)" : ""), k=100, one query at a time")
            report.add(name + ".p99", p99, "ms")
            report.add(
                name + ".recall_at_100", recall / Double(queries.count), "fraction",
                note: "against the exact top 100, \(queries.count) queries; \(archive.shapeNote) (the shape the default nprobe is chosen on)")
        }
        VectorCache.tune(cache.index, factory: cache.factory)

        // 4. Whole queries: text embedding, approximate search, the hits' segment and video
        // records, rerank of 100 candidates with their prompt tokens read from LMDB. Hits outside
        // the prompt-token subset are swapped for subset segments so that every query reranks
        // 100 real candidates.
        progress("whole queries")
        // The writer's own store: LMDB forbids a second environment on a file this process has open.
        let reader = store
        let reranker = PromptReranker(model: model)
        let tokenizer = try CLIPTokenizer(directory: Defaults.modelDirectory(nil))
        let texts = [
            "a man opening a car door", "a dog catching a frisbee", "two people shaking hands", "a red circle moving left",
            "children playing football in the park", "a car driving at night in the rain",
        ]
        var wholeTimes: [Double] = []
        for round in 0..<60 {
            let tokens = tokenizer.encode(texts[round % texts.count])
            start = DispatchTime.now().uptimeNanoseconds
            let text = try model.encodeText(tokens)
            let hits = try cache.index.search(VectorCache.normalized(text), k: 100)[0]
            _ = try reader.lookup(hits.map(\.id))
            let candidates = hits.map { Int64(($0.id - 1) % Int64(subset)) + 1 }
            _ = try reranker.scores(text: text, segments: candidates, store: reader)
            if round >= 6 { wholeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        let (wp50, wp99) = percentiles(wholeTimes)
        report.add("query.whole.\(label(count)).p50", wp50, "ms", note: "text + \(cache.factory) + records + rerank of 100 (B/32 sizes)")
        report.add("query.whole.\(label(count)).p99", wp99, "ms")

        // 5. Serving memory, in a process of its own that does only that: this one holds the
        // exact index and every benchmark's allocations besides.
        progress("serving process")
        if let bytes = try servingPeak(index: dir) {
            report.add(
                "index.\(label(count)).serving_peak_memory", Double(bytes) / 1_048_576, "MiB",
                note: "a separate process: the B/32 model, \(cache.factory) of every vector, LMDB; 20 searches through SearchEngine")
        }
        report.add(
            "index.\(label(count)).peak_memory", Double(Measure.peakResidentBytes()) / 1_048_576, "MiB",
            note: "the whole benchmark: exact and approximate index of every vector, the model")
    }

    /// Recall@100 of the same kind of index on a second data shape (ten videos per topic), built
    /// in memory the way VectorCache builds it (k-means on a spread sample, then every vector).
    public static func recallOnSecondShape(report: Report, count: Int) throws {
        let p = 512
        var archive = ArchiveVectors(count: count, dimension: p, videosPerTopic: 10, seed: 22)
        var rng = SeededRandom(seed: 23)
        let factory = VectorCache.factory(forCount: count, forced: nil)
        guard let lists = VectorCache.lists(inFactory: factory) else { return }
        progress("second data shape (\(archive.shapeNote))")
        let approximate = try FaissIndex(dimension: p, factory: factory)
        let exact = try FaissIndex(dimension: p, factory: "Flat")
        let stride = max(1, count / VectorCache.trainingSize(factory))
        var sample: [Float] = []
        var generated = SeededRandom(seed: 24)
        for i in Swift.stride(from: 0, to: count, by: 1) {
            let v = archive.segment(i, &generated)
            if i % stride == 0 { sample += v }
        }
        BLAS.threads = Parallel.cores
        defer { BLAS.threads = 1 }
        try approximate.train(sample)
        sample = []
        var ids: [Int64] = [], vectors: [Float] = []
        generated = SeededRandom(seed: 24)
        for i in 0..<count {
            ids.append(Int64(i + 1))
            vectors += archive.segment(i, &generated)
            if ids.count == 16384 || i == count - 1 {
                try approximate.add(vectors, ids: ids)
                try exact.add(vectors, ids: ids)
                ids.removeAll(keepingCapacity: true)
                vectors.removeAll(keepingCapacity: true)
            }
        }
        let queries = (0..<100).map { _ in archive.query(&rng) }
        let truths = try queries.map { Set(try exact.search($0, k: 100)[0].map(\.id)) }
        let defaultProbes = VectorCache.probes(lists: lists)
        for probes in Array(Set([8, defaultProbes, 64].filter { $0 <= lists })).sorted() {
            try approximate.setParameter("nprobe", Double(probes))
            var recall = 0.0
            for (q, truth) in zip(queries, truths) {
                recall += Double(try approximate.search(q, k: 100)[0].filter { truth.contains($0.id) }.count) / Double(max(truth.count, 1))
            }
            let name =
                "index.\(label(count)).search.approximate" + (probes == defaultProbes ? "" : ".nprobe\(probes)")
                + ".recall_at_100.ten_videos_per_topic"
            report.add(
                name, recall / Double(queries.count), "fraction", note: "\(factory), nprobe \(probes); \(archive.shapeNote), \(queries.count) queries"
            )
        }
    }

    /// Runs `vidsearch bench --serve-index DIR` and reads the peak resident bytes it reports.
    static func servingPeak(index dir: URL) throws -> Int? {
        try Measure.childPeakBytes(["--serve-index", dir.path])
    }

    /// The serving side of `servingPeak`: open the index as `vidsearch search` does (with the
    /// benchmark's random B/32 model), answer 20 queries, print the peak resident bytes.
    public static func serve(index dir: URL) throws {
        let model = try XCLIPModel(configuration: XCLIPConfiguration(), source: RandomTensorSource(seed: 7))
        let engine = try SearchEngine(
            model: model, tokenizer: try CLIPTokenizer(directory: Defaults.modelDirectory(nil)),
            store: try IndexStore(readingAt: dir))
        let texts = ["a man opening a car door", "a dog catching a frisbee", "two people shaking hands", "a red circle moving left"]
        for round in 0..<20 { _ = try engine.search(texts[round % texts.count]) }
        print(Measure.peakResidentBytes())
    }

    static func label(_ count: Int) -> String {
        count >= 1_000_000 && count % 1_000_000 == 0 ? "\(count / 1_000_000)M" : "\(count / 1000)k"
    }

    static func percentiles(_ samples: [Double]) -> (Double, Double) {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))])
    }

    static func progress(_ text: String) {
        FileHandle.standardError.write("bench index: \(text)\n".data(using: .utf8)!)
    }
}
