import CommandSupport
import Foundation
import Query
import Server
import Tensor
import VideoIndex
import XCLIP

/// `bench serve`: queries per second and latency over HTTP (wrk) at 1, 4 and 16 clients on a
/// 100k-segment index of the bundled model's shape, next to the in-process query time measured
/// in the same run; then the same while a watched folder is being ingested.
public enum ServeBenchmark {
    static let queries = ["a red circle moving left", "a blue square shrinking", "a green triangle growing", "a ball going to the left"]

    public static func run(report: Report, segments count: Int, model modelFlag: String?) throws {
        guard which("wrk") else {
            report.skip("serve", "wrk is not installed (apt-get install wrk)")
            return
        }
        let loaded = try LoadedModel(modelFlag)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-bench-serve-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let index = dir.appendingPathComponent("index")
        try buildIndex(at: index, count: count, loaded: loaded)
        let label = IndexBenchmark.label(count)

        // In process: the same query through SearchEngine, as the server runs it.
        let store = try IndexStore(readingAt: index, model: loaded.identity)
        let engine = try SearchEngine(model: loaded.model, tokenizer: try loaded.tokenizer(), store: store)
        let options = SearchOptions(k: 24, candidates: 100)
        for q in queries { _ = try engine.search(q, options: options) }
        var samples: [Double] = []
        for i in 0..<200 {
            let start = DispatchTime.now().uptimeNanoseconds
            try engine.refresh()
            _ = try engine.search(queries[i % queries.count], options: options)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let (inProcess, inProcess99) = IndexBenchmark.percentiles(samples)
        report.add(
            "serve.\(label).in_process.p50", inProcess, "ms",
            note: "SearchEngine, k=24, rerank of 100, \(loaded.identity.name) (the server's work per request)")
        report.add("serve.\(label).in_process.p99", inProcess99, "ms")

        let footage = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: footage, withIntermediateDirectories: true)
        for (phase, watch) in [("", false), ("during_watch.", true)] {
            let server = try startServer(index: index, model: modelFlag, watch: watch ? footage : nil)
            defer {
                server.process.terminate()
                server.process.waitUntilExit()
            }
            let feeding = Flag()
            if watch {
                // Ingest beside the load: sample clips dropped into the watched folder, one every 0.3 s.
                let feeder = Thread {
                    guard let samples = Defaults.samplesDirectory() else { return }
                    var n = 0
                    while feeding.on {
                        let source = samples.appendingPathComponent(String(format: "clip-%05d.mp4", n % 30))
                        try? FileManager.default.copyItem(at: source, to: footage.appendingPathComponent("drop-\(n).mp4"))
                        n += 1
                        Thread.sleep(forTimeInterval: 0.3)
                    }
                }
                feeder.start()
                Thread.sleep(forTimeInterval: 2)
            }
            if !watch {
                // The server's own floor: an endpoint that does no search.
                let health = try wrk(url: "\(server.base)api/health", clients: 1, seconds: 4)
                report.add("serve.http.health.c1.p50", health.p50, "ms", note: "GET /api/health, 1 connection: HTTP and routing alone")
            }
            for clients in watch ? [4] : [1, 4, 16] {
                let url = "\(server.base)api/search?q=\(queries[0].addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&k=24"
                let result = try wrk(url: url, clients: clients, seconds: 8)
                let name = "serve.\(label).\(phase)http.c\(clients)"
                report.add(
                    "\(name).rate", result.rate, "requests/s",
                    note: "wrk, \(clients) connection\(clients == 1 ? "" : "s"), 8 s; \(result.errors) errors (non-2xx, socket)"
                        + (watch ? "; a watch ingest running" : ""))
                report.add(
                    "\(name).p50", result.p50, "ms",
                    note: String(format: "HTTP adds %.2f ms to the in-process p50 of the same run", result.p50 - inProcess))
                report.add("\(name).p99", result.p99, "ms")
            }
            feeding.on = false
        }
    }

    /// Tells the feeding thread to stop.
    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = true
        var on: Bool {
            get {
                lock.lock()
                defer { lock.unlock() }
                return value
            }
            set {
                lock.lock()
                value = newValue
                lock.unlock()
            }
        }
    }

    private static func which(_ program: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(program)")
        }
    }

    /// `count` segments in `count / 100` videos, vectors of the model's width spread over topics,
    /// every one with random 8-bit prompt tokens (what the rerank reads).
    private static func buildIndex(at dir: URL, count: Int, loaded: LoadedModel) throws {
        let p = loaded.identity.dimension, n = loaded.identity.promptTokens
        let store = try IndexStore(writingAt: dir, model: loaded.identity)
        var archive = ArchiveVectors(count: count, dimension: p, videosPerTopic: 1, seed: 3)
        var rng = SeededRandom(seed: 4)
        var written = 0
        while written < count {
            let batch = (0..<min(100, count - written)).map { s -> EncodedSegment in
                let record = SegmentRecord(start: Double(s) * 4, end: Double(s) * 4 + 4, frameTimes: [Double(s) * 4 + 2])
                return EncodedSegment(
                    segment: record, embedding: archive.segment(written + s, &rng),
                    promptTokens: (0..<(n * p)).map { _ in rng.uniform(2) }, thumbnail: [])
            }
            try store.put(
                video: VideoRecord(path: "/bench/video\(written / 100).mp4", fingerprint: "s\(written)", size: 1, mtime: 0),
                segments: batch)
            written += batch.count
        }
        try VectorCache.rebuild(store).save(in: dir)
    }

    private static func startServer(index: URL, model: String?, watch: URL?) throws -> (process: Process, base: String) {
        let process = Process()
        process.executableURL = Defaults.executable
        process.arguments =
            ["serve", "--index", index.path, "--port", "0"] + (model.map { ["--model", $0] } ?? [])
            + (watch.map { ["--watch", $0.path, "--settle", "0.5"] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let (address, line) = ServeHandshake.address(from: out.fileHandleForReading)
        guard let address else { throw BenchError.serverDidNotStart(line) }
        return (process, address.absoluteString)
    }

    enum BenchError: Error, CustomStringConvertible {
        case serverDidNotStart(String)
        case wrkOutput(String)
        var description: String {
            switch self {
            case .serverDidNotStart(let text): return "the server did not start: \(text)"
            case .wrkOutput(let text): return "cannot read wrk's output: \(text.prefix(300))"
            }
        }
    }

    /// wrk's rate, p50/p99 (ms) and errors, from its --latency report.
    private static func wrk(url: String, clients: Int, seconds: Int) throws -> (rate: Double, p50: Double, p99: Double, errors: Int) {
        let (_, output) = try Subprocess.run("wrk", ["-t", String(min(clients, 2)), "-c", String(clients), "-d", "\(seconds)s", "--latency", url])
        func latency(_ label: String) -> Double? {
            guard let line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else {
                return nil
            }
            let value = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? ""
            for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where value.hasSuffix(suffix) {
                return Double(value.dropLast(suffix.count)).map { $0 * scale }
            }
            return nil
        }
        let rateLine = output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
        guard let rate = rateLine.flatMap({ Double($0.split(separator: " ").last ?? "") }), let p50 = latency("50%"), let p99 = latency("99%") else {
            throw BenchError.wrkOutput(output)
        }
        var errors = 0
        for line in output.split(separator: "\n") {
            if line.contains("Non-2xx or 3xx responses:") { errors += Int(line.split(separator: " ").last ?? "") ?? 0 }
            if line.contains("Socket errors:") {
                errors += line.split(separator: ",").compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
            }
        }
        return (rate, p50, p99, errors)
    }
}
