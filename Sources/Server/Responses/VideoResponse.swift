import Foundation
import VideoIndex

/// A video as the API writes it (docs/openapi.yaml's Video): its id and media URL; the file's
/// name and folder are shown, not used to reach it.
struct VideoResponse: Codable, Sendable {
    var id: UInt64
    var file: String
    var folder: String
    var duration: Double
    var width: Int
    var height: Int
    var codec: String
    var segments: Int
    var media: String
    /// Whether the file is still where it was indexed.
    var available: Bool
    /// Seconds since 1970: when it was recorded, or else the file's modification time.
    var date: Double
    /// "creation_time" (the container's tag) or "mtime".
    var dateSource: String

    init(_ v: VideoRecord) {
        let url = URL(fileURLWithPath: v.path)
        id = v.id
        file = url.lastPathComponent
        folder = url.deletingLastPathComponent().path
        duration = v.duration
        width = v.width
        height = v.height
        codec = v.codec
        segments = v.segmentIds.count
        media = "/api/videos/\(v.id)/media"
        available = FileManager.default.isReadableFile(atPath: v.path)
        date = v.date
        dateSource = v.recorded != nil ? "creation_time" : "mtime"
    }
}
