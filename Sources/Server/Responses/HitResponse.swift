import Foundation
import Query

/// A hit as the API writes it (docs/openapi.yaml's Hit): ids and URLs, never a path to ask for;
/// the file's name and folder are shown, not used to reach it.
struct HitResponse: Codable, Sendable {
    var rank: Int
    var segment: Int64
    var video: UInt64
    var file: String
    var folder: String
    var start: Double
    var end: Double
    var score: Double
    var thumbnail: String
    var media: String
    var clip: String
    var similar: String
    var signals: [String]
    /// Absent where the segment was found by its words only.
    var visualScore: Double?
    /// The subtitle or transcript line that matched, where one did.
    var speech: SpeechLine?

    /// The line, with the matched words at the odd places of `parts`.
    struct SpeechLine: Codable, Sendable {
        var start: Double
        var end: Double
        var text: String
        var parts: [String]
        var language: String?
    }

    init(_ r: SearchResult, rank: Int) {
        let url = URL(fileURLWithPath: r.path)
        self.rank = rank
        segment = r.segmentId
        video = r.videoId
        file = url.lastPathComponent
        folder = url.deletingLastPathComponent().path
        start = r.start
        end = r.end
        score = Double(r.score)
        thumbnail = "/api/segments/\(r.segmentId)/thumbnail"
        media = "/api/videos/\(r.videoId)/media"
        clip = "/api/segments/\(r.segmentId)/clip.mp4"
        similar = "/api/similar/\(r.segmentId)"
        signals = r.signals
        visualScore = r.visualScore.map(Double.init)
        speech = r.speech.map { SpeechLine(start: $0.start, end: $0.end, text: $0.text, parts: $0.parts, language: $0.language) }
    }

    /// Hits in rank order, the first ranked 1.
    static func ranked(_ results: [SearchResult]) -> [HitResponse] {
        results.enumerated().map { HitResponse($1, rank: $0 + 1) }
    }
}
