import Foundation
import Query
import VideoIndex

/// How a hit and a video look in the API (docs/openapi.yaml): ids and URLs, never a path to
/// ask for; the file's name and folder are shown, not used to reach it.
enum HitJSON {
    static func hit(_ r: SearchResult, rank: Int) -> [String: Any] {
        let url = URL(fileURLWithPath: r.path)
        var object: [String: Any] = ["rank": rank, "segment": r.segmentId, "video": r.videoId, "file": url.lastPathComponent,
                "folder": url.deletingLastPathComponent().path, "start": r.start, "end": r.end, "score": Double(r.score),
                "thumbnail": "/api/segments/\(r.segmentId)/thumbnail", "media": "/api/videos/\(r.videoId)/media",
                "clip": "/api/segments/\(r.segmentId)/clip.mp4",
                "similar": "/api/similar/\(r.segmentId)", "signals": r.signals]
        if let visual = r.visualScore { object["visual_score"] = Double(visual) }
        if let line = r.speech { object["speech"] = line.json }
        return object
    }

    static func video(_ v: VideoRecord) -> [String: Any] {
        let url = URL(fileURLWithPath: v.path)
        return ["id": v.id, "file": url.lastPathComponent, "folder": url.deletingLastPathComponent().path,
                "duration": v.duration, "width": v.width, "height": v.height, "codec": v.codec, "segments": v.segmentIds.count,
                "media": "/api/videos/\(v.id)/media", "available": FileManager.default.isReadableFile(atPath: v.path),
                "date": v.date, "date_source": v.recorded != nil ? "creation_time" : "mtime"]
    }
}
