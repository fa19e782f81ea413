import Foundation
import Hummingbird
import Ingest
import VideoIndex

/// Thumbnails from LMDB, and the indexed files themselves with Range requests so that a
/// browser can seek. A file is reached only through its id in the index; no path ever comes
/// from a request.
struct MediaRoutes {
    let service: SearchService
    let options: ServerOptions
    let fileIO = FileIO()

    func add(to router: Router<ServerContext>) {
        // What these throw is answered as JSON by JSONErrors.
        router.get("/api/segments/:id/thumbnail") { _, context in
            let id = try Parameters.segmentId(context)
            guard let jpeg = try service.store.thumbnail(segment: id), !jpeg.isEmpty else {
                throw APIError(.notFound, "no thumbnail for segment \(id)")
            }
            var headers = HTTPFields()
            headers[.contentType] = "image/jpeg"
            headers[.cacheControl] = "private, max-age=3600"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
        }
        router.get("/api/videos/:id/media") { request, context in try await media(request, context) }
        router.get("/api/segments/:id/clip.mp4") { request, context in try await clip(request, context) }
    }

    /// The segment's time range as an H.264 MP4 (ClipWriter), for videos in formats browsers do
    /// not play; cut once, kept in a bounded cache named by the index, segment and content.
    private func clip(_ request: Request, _ context: ServerContext) async throws -> Response {
        let id = try Parameters.segmentId(context)
        guard let segment = try service.store.segment(id: id), let video = try service.store.video(id: segment.videoId) else {
            throw APIError(.notFound, "no segment \(id) in the index")
        }
        guard FileManager.default.isReadableFile(atPath: video.path) else {
            throw APIError(
                .gone, "\(URL(fileURLWithPath: video.path).lastPathComponent) is no longer on disk (moved or deleted since it was indexed)")
        }
        let folder = options.clipCache
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let indexId = service.withEngine { $0.store.meta.indexId } ?? "index"  // the meta is replaced on refresh: read it under the lock
        let name = "\(indexId)-\(id)-\(video.fingerprint.prefix(16)).mp4"
        let path = folder.appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)  // recently used
        } else {
            let source = video.path, start = segment.start, end = segment.end
            try await BlockingWork.run {  // cutting a clip encodes video: seconds of a core
                do { try ClipWriter.write(source: source, start: start, end: end, to: path) } catch {
                    throw APIError(.unprocessableContent, "\(error)")
                }
            }
            trimCache(folder, keeping: name)
        }
        return try await serve(path: path, type: "video/mp4", request, context)
    }

    /// Oldest clips go first once the cache holds more than its bound.
    private func trimCache(_ folder: URL, keeping newest: String) {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        guard let files = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: keys) else { return }
        var entries = files.filter { $0.pathExtension == "mp4" }.compactMap { url -> (URL, Int, Date)? in
            guard let values = try? url.resourceValues(forKeys: Set(keys)) else { return nil }
            return (url, values.fileSize ?? 0, values.contentModificationDate ?? .distantPast)
        }
        var total = entries.reduce(0) { $0 + $1.1 }
        entries.sort { $0.2 < $1.2 }
        for (url, size, _) in entries where total > options.clipCacheBytes && url.lastPathComponent != newest {
            try? FileManager.default.removeItem(at: url)
            total -= size
        }
    }

    /// The container's type for the browser; nil when browsers do not play it.
    static func contentType(path: String, codec: String) -> String? {
        let playable = ["h264", "vp8", "vp9", "av1", "hevc"].contains(codec.lowercased())
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "mp4", "m4v": return playable ? "video/mp4" : nil
        case "mov": return playable ? "video/mp4" : nil  // QuickTime with H.264 plays as MP4
        case "webm": return playable ? "video/webm" : nil
        case "mkv": return playable ? "video/x-matroska" : nil
        default: return nil
        }
    }

    private func media(_ request: Request, _ context: ServerContext) async throws -> Response {
        let id = try Parameters.videoId(context)
        guard let video = try service.store.video(id: id) else { throw APIError(.notFound, "no video \(id) in the index") }
        guard FileManager.default.isReadableFile(atPath: video.path) else {
            throw APIError(
                .gone, "\(URL(fileURLWithPath: video.path).lastPathComponent) is no longer on disk (moved or deleted since it was indexed)")
        }
        guard let type = Self.contentType(path: video.path, codec: video.codec) else {
            throw APIError(
                .unsupportedMediaType,
                "\(URL(fileURLWithPath: video.path).lastPathComponent) (\(video.codec)) is not a format browsers play; each segment plays cut to MP4 at /api/segments/ID/clip.mp4"
            )
        }
        return try await serve(path: video.path, type: type, request, context)
    }

    /// A file with Range requests answered (206, 416).
    private func serve(path: String, type: String, _ request: Request, _ context: ServerContext) async throws -> Response {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue
        else {
            throw APIError(.gone, "\(URL(fileURLWithPath: path).lastPathComponent) is no longer on disk")
        }
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.acceptRanges] = "bytes"
        headers[.cacheControl] = "private, max-age=60"
        switch ByteRange.resolve(request.headers[.range], size: size) {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case .whole:
            headers[.contentLength] = String(size)
            let body = size > 0 ? try await fileIO.loadFile(path: path, context: context) : ResponseBody()
            return Response(status: .ok, headers: headers, body: body)
        case .part(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            let body = try await fileIO.loadFile(path: path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
    }
}
