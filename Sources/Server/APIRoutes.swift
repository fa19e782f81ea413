import Foundation
import Hummingbird
import Ingest
import Query
import VideoIndex

/// The JSON API (docs/openapi.yaml): search, similar, videos, stats, health.
struct APIRoutes {
    let service: SearchService
    let options: ServerOptions

    func add(to router: Router<ServerContext>) {
        // What these throw is answered as JSON by JSONErrors; the model's work runs on the blocking pool.
        router.get("/api/health") { _, _ in HealthResponse() }
        router.get("/api/stats") { _, _ in try await BlockingWork.run { try stats() } }
        router.get("/api/status") { _, _ in StatusResponse(watch: service.watch?.state ?? .notWatching) }
        router.get("/api/search") { request, _ in try await BlockingWork.run { try search(request) } }
        router.get("/api/similar/:segment") { request, context in
            let id = try Parameters.segmentId(context)
            return try await BlockingWork.run { try similar(request, segment: id) }
        }
        router.post("/api/search/example") { request, context in
            do {
                return try await example(request, context)
            } catch let error as HTTPResponseError where error.status == .contentTooLarge {  // the body's limit, said in MB
                throw APIError(.contentTooLarge, "the example is larger than \(options.maxUpload >> 20) MB")
            }
        }
        router.get("/api/videos") { _, _ in
            VideoListResponse(videos: try service.store.videos().sorted { $0.path < $1.path }.map(VideoResponse.init))
        }
        router.get("/api/videos/:id") { _, context in
            let id = try Parameters.videoId(context)
            guard let video = try service.store.video(id: id) else { throw APIError(.notFound, "no video \(id) in the index") }
            return VideoResponse(video)
        }
    }

    private func stats() throws -> StatsResponse {
        try service.withEngine { engine in
            try engine.refresh()
            let counts = try engine.store.counts()
            return StatsResponse(
                videos: counts.videos, segments: counts.segments, model: engine.store.model.name,
                dimension: engine.store.model.dimension, vectorIndex: engine.vectors.factory)
        }
    }

    private func searchOptions(_ request: Request) throws -> SearchOptions {
        let query = FormQuery(request.uri.query)
        var o = SearchOptions(k: 24, candidates: 100, thumbnails: false)
        if let k = query.get("k") { o.k = try Parameters.int(k, "k", 1...options.maxK) }
        if let c = query.get("candidates") { o.candidates = try Parameters.int(c, "candidates", 1...options.maxCandidates) }
        if let r = query.get("rerank") { o.rerank = try Parameters.bool(r, "rerank") }
        if let p = query.get("per_video") { o.perVideo = try Parameters.bool(p, "per_video") }
        if let path = query.get("path"), !path.isEmpty { o.paths = PathFilter(path) }
        if let s = query.get("signals"), !s.isEmpty {
            guard let signals = SearchSignals(parsing: s) else {
                throw APIError(.badRequest, "signals must be visual, speech or visual,speech, not \"\(s.prefix(40))\"")
            }
            o.signals = signals
        }
        var videos = VideoFilter()
        if let after = query.get("after"), !after.isEmpty { videos.after = try Parameters.date(after, "after", endOfDay: false) }
        if let before = query.get("before"), !before.isEmpty { videos.before = try Parameters.date(before, "before", endOfDay: true) }
        if let d = query.get("min_duration"), !d.isEmpty { videos.minDuration = try Parameters.seconds(d, "min_duration") }
        if let d = query.get("max_duration"), !d.isEmpty { videos.maxDuration = try Parameters.seconds(d, "max_duration") }
        o.videos = videos
        return o
    }

    private func search(_ request: Request) throws -> SearchResponse {
        guard let q = FormQuery(request.uri.query).get("q") else { throw APIError(.badRequest, "missing q: say what to look for") }
        // Bounded before the tokenizer sees it: the model reads 77 tokens at most.
        let text = String(q.prefix(options.maxQueryLength))
        let o = try searchOptions(request)
        let results = try service.withEngine { engine -> [SearchResult] in
            try engine.refresh()
            return try engine.search(text, options: o)
        }
        return SearchResponse(query: text, hits: HitResponse.ranked(results))
    }

    /// A clip or a photo, uploaded (multipart, or the raw bytes with a video/* or image/* type),
    /// encoded by the ingest path and searched with; the upload lives only in a temporary file.
    private func example(_ request: Request, _ context: ServerContext) async throws -> ExampleResponse {
        guard let encode = service.encodeExample else { throw APIError(.notImplemented, "this server cannot encode examples") }
        let type = request.headers[.contentType] ?? ""
        if let length = request.headers[.contentLength].flatMap(Int.init), length > options.maxUpload {
            throw APIError(.contentTooLarge, "the example is larger than \(options.maxUpload >> 20) MB")
        }
        var request = request
        let buffer = try await request.collectBody(upTo: options.maxUpload)
        let body = Array(buffer.readableBytesView)
        let file: MultipartUpload.File
        if let boundary = MultipartUpload.boundary(contentType: type) {
            guard let found = MultipartUpload.firstFile(body, boundary: boundary) else {
                throw APIError(.badRequest, "no file in the form: send the clip or photo as a file field")
            }
            file = found
        } else if type.hasPrefix("image/") || type.hasPrefix("video/") {
            let subtype = type.split(separator: "/")[1].split(separator: ";")[0].lowercased()
            file = MultipartUpload.File(bytes: body, fileExtension: ["jpeg": "jpg", "quicktime": "mov", "x-matroska": "mkv"][subtype] ?? subtype)
        } else {
            throw APIError(.unsupportedMediaType, "send a clip or a photo as multipart/form-data, or with a video/* or image/* Content-Type")
        }
        guard !file.bytes.isEmpty else { throw APIError(.badRequest, "the example is empty") }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("vidsearch-example-\(UUID().uuidString)" + (file.fileExtension.map { ".\($0)" } ?? "")).path
        guard FileManager.default.createFile(atPath: path, contents: Data(file.bytes), attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, "cannot write the example to a temporary file")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let o = try searchOptions(request)
        let service = service, bytes = file.bytes.count
        guard await service.exampleTurns.acquire() else {
            throw APIError(.serviceUnavailable, "too many examples are waiting to be encoded; try again shortly")
        }
        defer { Task { await service.exampleTurns.release() } }
        let connected = { [context] in context.clientConnected }
        return try await BlockingWork.run {
            let vector: [Float]
            do {
                // The model's lock for one segment at a time; a client that has gone stops it.
                vector = try encode(path) { call in
                    guard connected() else { throw ExampleAbandoned() }
                    try service.withEngine { _ in try call() }
                }
            } catch is ExampleAbandoned {
                throw APIError(.requestTimeout, "the client went away; the example was not finished")
            } catch {
                throw APIError(.unprocessableContent, "\(error)")
            }
            let results = try service.withEngine { engine -> [SearchResult] in
                try engine.refresh()
                return try engine.similar(to: LikeSource(embedding: vector, path: "", start: 0, end: 0), options: o)
            }
            return ExampleResponse(bytes: bytes, hits: HitResponse.ranked(results))
        }
    }

    private func similar(_ request: Request, segment id: Int64) throws -> SimilarResponse {
        let o = try searchOptions(request)
        let results = try service.withEngine { engine -> [SearchResult] in
            try engine.refresh()
            guard let source = try engine.likeSource(segment: id) else { throw APIError(.notFound, "no segment \(id) in the index") }
            return try engine.similar(to: source, options: o)
        }
        return SimilarResponse(segment: id, hits: HitResponse.ranked(results))
    }
}

/// Request values, each checked: a wrong one is a 400 that names it.
enum Parameters {
    static func int(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw APIError(.badRequest, "\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), not \"\(text.prefix(40))\"")
        }
        return value
    }

    static func date(_ text: String, _ name: String, endOfDay: Bool) throws -> Double {
        guard let seconds = RecordingDate.bound(text, endOfDay: endOfDay) else {
            throw APIError(.badRequest, "\(name) must be a date (2024-05-01, 2024-05-01T12:30:00Z) or seconds since 1970, not \"\(text.prefix(40))\"")
        }
        return seconds
    }

    static func seconds(_ text: String, _ name: String) throws -> Double {
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw APIError(.badRequest, "\(name) must be a number of seconds, not \"\(text.prefix(40))\"")
        }
        return value
    }

    static func bool(_ text: String, _ name: String) throws -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw APIError(.badRequest, "\(name) must be true or false, not \"\(text.prefix(40))\"")
        }
    }

    static func videoId(_ context: ServerContext) throws -> UInt64 {
        guard let text = context.parameters.get("id"), let id = UInt64(text) else {
            throw APIError(.badRequest, "a video id is a whole number (from /api/videos or a hit)")
        }
        return id
    }

    static func segmentId(_ context: ServerContext) throws -> Int64 {
        guard let text = context.parameters.get("segment") ?? context.parameters.get("id"), let id = Int64(text) else {
            throw APIError(.badRequest, "a segment id is a whole number (from a hit)")
        }
        return id
    }
}

/// An example's client went away before its encoding ended.
private struct ExampleAbandoned: Error {}
