import Foundation
import Hummingbird
import VideoIndex

/// Thumbnails from LMDB, and the indexed files themselves with Range requests so that a
/// browser can seek. A file is reached only through its id in the index; no path ever comes
/// from a request.
struct MediaRoutes {
    let service: SearchService
    let fileIO = FileIO()

    func add(to router: Router<BasicRequestContext>) {
        router.get("/api/segments/:id/thumbnail") { _, context in
            do {
                let id = try Parameters.segmentId(context)
                guard let jpeg = try service.store.thumbnail(segment: id), !jpeg.isEmpty else {
                    return JSONResponse.error(.notFound, "no thumbnail for segment \(id)")
                }
                var headers = HTTPFields()
                headers[.contentType] = "image/jpeg"
                headers[.cacheControl] = "private, max-age=3600"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
            } catch let error as APIError {
                return JSONResponse.error(error.status, error.message)
            }
        }
        router.get("/api/videos/:id/media") { request, context in
            do {
                return try await media(request, context)
            } catch let error as APIError {
                return JSONResponse.error(error.status, error.message)
            }
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

    private func media(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try Parameters.videoId(context)
        guard let video = try service.store.video(id: id) else { throw APIError(.notFound, "no video \(id) in the index") }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: video.path),
              let size = (attributes[.size] as? NSNumber)?.intValue else {
            throw APIError(.gone, "\(URL(fileURLWithPath: video.path).lastPathComponent) is no longer on disk (moved or deleted since it was indexed)")
        }
        guard let type = Self.contentType(path: video.path, codec: video.codec) else {
            throw APIError(.unsupportedMediaType, "\(URL(fileURLWithPath: video.path).lastPathComponent) (\(video.codec)) is not a format browsers play")
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
            let body = size > 0 ? try await fileIO.loadFile(path: video.path, context: context) : ResponseBody()
            return Response(status: .ok, headers: headers, body: body)
        case let .part(range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            let body = try await fileIO.loadFile(path: video.path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
    }
}
