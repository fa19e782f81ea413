import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import NIOCore
import Query
import VideoIndex
import XCLIP
import XCTest

@testable import Server

/// The server's own router, driven in-process (no socket, no child process): the tiny fixture
/// model over an index of two videos, one with a subtitle line. The tests that start the real
/// binary (CLITests/ServeTests) stay for what only a process shows: the address handshake,
/// the watcher child, signals.
final class RouterTests: XCTestCase {
    func makeService(encodeExample: ((String, @escaping IngestPipeline.ModelTurn) throws -> [Float])? = nil) throws -> SearchService {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let model = try XCLIPModel(directory: repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/xclip-tiny"))
        let tokenizer = CLIPTokenizer(
            vocabulary: try BPEVocabulary(gzippedMerges: repository.appendingPathComponent("Models/xclip-demo/bpe_simple_vocab_16e6.txt.gz")))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let width = model.embeddingSize, tokens = model.promptTokenCount
        let identity = ModelIdentity(name: "xclip-tiny", fingerprint: "fixture", dimension: width, promptTokens: tokens)
        let writer = try IndexStore(writingAt: directory, model: identity)
        var seed: UInt64 = 7
        func random() -> Float {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1
        }
        for (v, line) in [(0, "The harbour at dawn"), (1, nil)] {
            let segments = (0..<3).map { s in
                EncodedSegment(
                    segment: SegmentRecord(start: Double(s) * 4, end: Double(s + 1) * 4, frameTimes: [Double(s) * 4 + 2]),
                    embedding: (0..<width).map { _ in random() }, promptTokens: (0..<(width * tokens)).map { _ in random() },
                    thumbnail: [0xFF, 0xD8, 0xFF, 0xD9])
            }
            let subtitles =
                line.map {
                    VideoSubtitles(
                        sources: [SubtitleSource(kind: .sidecar, name: "v\(v).en.srt", format: "subrip", language: "en")],
                        cues: [SubtitleCue(start: 5, end: 6, text: $0)])
                } ?? VideoSubtitles()
            try writer.put(
                video: VideoRecord(path: "/footage/v\(v).mp4", fingerprint: "f\(v)", size: 1, mtime: 0, duration: 12),
                segments: segments, subtitles: subtitles)
        }
        try IndexCaches.save(writer)
        // The server reads, as `serve` does: a reader store of its own (the writer is another process).
        let store = try IndexStore(readingAt: directory, model: identity)
        return SearchService(engine: try SearchEngine(model: model, tokenizer: tokenizer, store: store), encodeExample: encodeExample)
    }

    func testTheRoutesAnswerInProcess() async throws {
        let app = Application(router: SearchServer.router(service: try makeService(), options: ServerOptions()))
        try await app.test(.router) { client in
            func json(_ uri: String, _ status: HTTPResponse.Status = .ok) async throws -> [String: Any] {
                try await client.execute(uri: uri, method: .get) { response in
                    XCTAssertEqual(response.status, status, uri)
                    XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8", uri)
                    return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], uri)
                }
            }
            let health = try await json("/api/health")
            XCTAssertEqual(health["ok"] as? Bool, true)
            let stats = try await json("/api/stats")
            XCTAssertEqual(stats["videos"] as? Int, 2)
            XCTAssertEqual(stats["segments"] as? Int, 6)
            XCTAssertEqual(stats["vector_index"] as? String, "Flat")
            // No watcher beside this server: the status says only that.
            let status = try await json("/api/status")
            XCTAssertEqual((status["watch"] as? [String: Any])?.keys.sorted(), ["watching"])
            XCTAssertEqual((status["watch"] as? [String: Any])?["watching"] as? Bool, false)

            // Fused: the segment whose line says the word is first, and says why.
            let fused = try await json("/api/search?q=harbour&k=6")
            let hits = try XCTUnwrap(fused["hits"] as? [[String: Any]])
            XCTAssertEqual(hits.count, 6)
            XCTAssertEqual(hits.first?["file"] as? String, "v0.mp4")
            XCTAssertEqual(hits.first?["start"] as? Double, 4)
            XCTAssertEqual(hits.first?["signals"] as? [String], ["visual", "speech"])
            XCTAssertEqual((hits.first?["speech"] as? [String: Any])?["parts"] as? [String], ["The ", "harbour", " at dawn"])
            // The same answer read back as the server's own Codable type: every field where the
            // docs say, in the types they say.
            let typed = try await client.execute(uri: "/api/search?q=harbour&k=6", method: .get) { response in
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                return try decoder.decode(SearchResponse.self, from: Data(buffer: response.body))
            }
            XCTAssertEqual(typed.query, "harbour")
            XCTAssertEqual(typed.hits.map(\.rank), Array(1...6))
            XCTAssertEqual(typed.hits.first?.speech?.language, "en")
            XCTAssertEqual(typed.hits.first?.thumbnail, "/api/segments/\(typed.hits[0].segment)/thumbnail")
            XCTAssertNotNil(typed.hits.first?.visualScore)
            let speechOnly = try await json("/api/search?q=harbour&signals=speech")
            let spoken = try XCTUnwrap(speechOnly["hits"] as? [[String: Any]])
            XCTAssertEqual(spoken.count, 1)
            let visualOnly = try await json("/api/search?q=harbour&signals=visual&k=6")
            let visual = try XCTUnwrap(visualOnly["hits"] as? [[String: Any]])
            XCTAssertTrue(visual.allSatisfy { $0["speech"] == nil && $0["signals"] as? [String] == ["visual"] })

            // Wrong values are 400s that name them; unknown ids 404s.
            let badSignals = try await json("/api/search?q=harbour&signals=sound", .badRequest)
            XCTAssertTrue((badSignals["error"] as? String ?? "").contains("signals"), "\(badSignals)")
            let badK = try await json("/api/search?q=x&k=0", .badRequest)
            XCTAssertTrue((badK["error"] as? String ?? "").contains("k must be"), "\(badK)")
            _ = try await json("/api/search?q=", .badRequest)
            _ = try await json("/api/videos/424242", .notFound)
            let listing = try await json("/api/videos")
            let videos = try XCTUnwrap(listing["videos"] as? [[String: Any]])
            XCTAssertEqual(videos.map { $0["file"] as? String }, ["v0.mp4", "v1.mp4"])

            // The thumbnail and the page come from the same router.
            let segment = try XCTUnwrap(hits.first?["segment"] as? Int)
            try await client.execute(uri: "/api/segments/\(segment)/thumbnail", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(Array(Data(buffer: response.body)), [0xFF, 0xD8, 0xFF, 0xD9])
            }
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertTrue(String(buffer: response.body).contains("<html"))
            }
        }
    }

    /// Examples encoded on the model (here a stand-in whose eight segments each hold the model for
    /// 0.3 s, as a real encode does) never hold the threads requests are answered on, nor the
    /// model between segments: with one more upload than the blocking pool has threads, health
    /// and a search both answer before the first upload is done, and every upload ends.
    func testBlockingWorkDoesNotStallTheServer() async throws {
        let width = 32  // the tiny model's embedding size (projection_dim)
        let service = try makeService(encodeExample: { _, turn in
            for _ in 0..<8 { try turn { Thread.sleep(forTimeInterval: 0.3) } }
            return [Float](repeating: 0.1, count: width)
        })
        let uploads = NIOSingletons.blockingPoolThreadCountSuggestion + 1
        let app = Application(router: SearchServer.router(service: service, options: ServerOptions()))
        final class Counter: @unchecked Sendable {
            private let lock = NSLock()
            private var value = 0
            func add() {
                lock.lock()
                value += 1
                lock.unlock()
            }
            var count: Int {
                lock.lock()
                defer { lock.unlock() }
                return value
            }
        }
        let finished = Counter()
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<uploads {
                    group.addTask {
                        try await client.execute(
                            uri: "/api/search/example?k=2", method: .post, headers: [.contentType: "image/jpeg"],
                            body: ByteBuffer(bytes: [0xFF, 0xD8, 0xFF, 0xD9])
                        ) { response in
                            XCTAssertEqual(response.status, .ok)
                        }
                        finished.add()
                    }
                }
                try await Task.sleep(nanoseconds: 200_000_000)  // the uploads are on the model now
                let uploadsDone = try await client.execute(uri: "/api/health", method: .get) { response -> Int in
                    XCTAssertEqual(response.status, .ok)
                    return finished.count
                }
                XCTAssertEqual(uploadsDone, 0, "/api/health waited for an upload's model work")
                let beforeSearch = finished.count
                let afterSearch = try await client.execute(uri: "/api/search?q=harbour&k=2", method: .get) { response -> Int in
                    XCTAssertEqual(response.status, .ok)
                    return finished.count
                }
                XCTAssertEqual(afterSearch, beforeSearch, "a search waited for a whole upload's model work")
                XCTAssertEqual(afterSearch, 0, "a search waited for an upload")
                try await group.waitForAll()
            }
        }
        XCTAssertEqual(finished.count, uploads)
    }

    /// The query string is form-encoded, as the page's URLSearchParams writes it: `+` is a space
    /// (q=harbour+dawn searched for "harbour+dawn"); a NUL in a query is no part of a word (it was
    /// a 500 naming the index's text file).
    func testTheQueryStringIsReadAsFormsWriteIt() async throws {
        let app = Application(router: SearchServer.router(service: try makeService(), options: ServerOptions()))
        try await app.test(.router) { client in
            func body(_ uri: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
            }
            let plus = try await body("/api/search?q=harbour+dawn&signals=speech&k=3")
            let percent = try await body("/api/search?q=harbour%20dawn&signals=speech&k=3")
            XCTAssertEqual(plus.0, .ok)
            XCTAssertEqual(plus.1, percent.1)
            XCTAssertTrue(plus.1.contains(#""query":"harbour dawn""#), plus.1)
            XCTAssertTrue(plus.1.contains("v0.mp4"), plus.1)
            // A folder filter written with + for its space (no such folder here: no hits, no error).
            let folder = try await body("/api/search?q=harbour&path=%2Ffootage%2Fmy+clips")
            XCTAssertEqual(folder.0, .ok)
            XCTAssertTrue(folder.1.contains(#""hits":[]"#), folder.1)
            for uri in ["/api/search?q=harbour%00dawn", "/api/search?q=%22harbour%00%22", "/api/search?q=%00"] {
                let (status, text) = try await body(uri)
                XCTAssertNotEqual(status, .internalServerError, "\(uri): \(text)")
                XCTAssertFalse(text.contains(".sqlite"), "\(uri) leaks a path: \(text)")
            }
        }
    }

    /// With a token: the scheme's name in any case, and the token's redirect keeps the search.
    func testTheTokenKeepsTheSearchAndAnyCaseOfBearer() async throws {
        var options = ServerOptions()
        options.token = "sesame-123"
        let app = Application(router: SearchServer.router(service: try makeService(), options: options))
        try await app.test(.router) { client in
            for scheme in ["Bearer", "bearer", "BEARER"] {
                try await client.execute(uri: "/api/health", method: .get, headers: [.authorization: "\(scheme) sesame-123"]) {
                    XCTAssertEqual($0.status, .ok, scheme)
                }
            }
            try await client.execute(uri: "/api/health", method: .get, headers: [.authorization: "Bearer wrong"]) {
                XCTAssertEqual($0.status, .unauthorized)
            }
            try await client.execute(uri: "/?token=sesame-123&q=red+circle&group=1", method: .get) { response in
                XCTAssertEqual(response.status, .seeOther)
                XCTAssertEqual(response.headers[.location], "/?q=red%20circle&group=1")
            }
        }
    }

    /// HEAD is GET without the body (it was a 404 on every route).
    func testHeadIsAnsweredAsGetWithoutItsBody() async throws {
        let app = Application(router: SearchServer.router(service: try makeService(), options: ServerOptions()))
        try await app.test(.router) { client in
            for uri in ["/api/health", "/api/videos", "/api/segments/1/thumbnail", "/"] {
                let get = try await client.execute(uri: uri, method: .get) { ($0.status, $0.body.readableBytes, $0.headers[.contentType]) }
                try await client.execute(uri: uri, method: .head) { response in
                    XCTAssertEqual(response.status, get.0, uri)
                    XCTAssertEqual(response.body.readableBytes, 0, uri)
                    XCTAssertEqual(response.headers[.contentType], get.2, uri)
                    XCTAssertEqual(response.headers[.contentLength].flatMap(Int.init), get.1, uri)
                }
            }
        }
    }

    /// Another method on a served path is 405 with Allow (it was 404, as for no such path); every
    /// path docs/openapi.yaml documents is in the table that says so.
    func testOtherMethodsAre405WithWhatIsAllowed() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = try String(contentsOf: repository.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let documented = spec.split(separator: "\n").filter { $0.hasPrefix("  /") && $0.hasSuffix(":") }
            .map { String($0.dropFirst(2).dropLast()).replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "") }
        XCTAssertFalse(documented.isEmpty)
        for path in documented { XCTAssertTrue(MethodNotAllowed.paths.contains { $0.path == path }, "\(path) is documented but has no 405 answers") }
        let app = Application(router: SearchServer.router(service: try makeService(), options: ServerOptions()))
        try await app.test(.router) { client in
            for (uri, method, allow) in [
                ("/api/health", HTTPRequest.Method.trace, "GET, HEAD"), ("/api/videos/1", .delete, "GET, HEAD"),
                ("/api/search/example", .get, "POST"), ("/api/search", .post, "GET, HEAD"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    XCTAssertEqual(response.status, .methodNotAllowed, "\(method) \(uri)")
                    XCTAssertEqual(response.headers[.allow], allow, "\(method) \(uri)")
                    XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8")
                }
            }
            try await client.execute(uri: "/api/no-such-thing", method: .trace) { XCTAssertEqual($0.status, .notFound) }
        }
    }
}
