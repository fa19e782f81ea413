import VideoIndex

/// One hit: where in which video, how well it matches, why, and its thumbnail.
public struct SearchResult: Equatable {
    public var path: String
    public var videoId: UInt64
    public var segmentId: Int64
    public var start: Double
    public var end: Double
    /// The ranking score: the visual score where only the pictures ranked (every index without
    /// subtitles), else the reciprocal-rank-fusion score of the two lists (RankFusion).
    public var score: Float
    public var thumbnail: [UInt8]?
    /// Cosine similarity of the video and the (video-prompted) text embedding, in [-1, 1]; nil
    /// where the segment was found by its words only.
    public var visualScore: Float? = nil
    /// The subtitle or transcript line that matched, where one did.
    public var speech: SpeechMatch? = nil

    /// Which signals found it: "visual", "speech".
    public var signals: [String] { (visualScore == nil ? [] : ["visual"]) + (speech == nil ? [] : ["speech"]) }
}

/// The line a segment matched by: its time range and text, cut at the words the query found.
public struct SpeechMatch: Equatable {
    public var start: Double
    public var end: Double
    public var text: String
    /// Unmatched, matched, unmatched, ... (odd places are the matched words; joined: `text`).
    public var parts: [String]
    public var language: String?
    /// BM25 of the line for the query (higher is better).
    public var relevance: Double

    /// As the CLI's `--json` and the API write it.
    public var json: [String: Any] {
        var object: [String: Any] = ["start": start, "end": end, "text": text, "parts": parts]
        if let language { object["language"] = language }
        return object
    }

    init(_ hit: CueHit) {
        start = hit.start
        end = hit.end
        text = hit.text
        parts = hit.parts
        language = hit.language
        relevance = hit.relevance
    }
}

/// Which signals a search uses: the pictures (X-CLIP), the words said (subtitles and
/// transcripts), or both fused (the default).
public struct SearchSignals: Equatable {
    public var visual: Bool
    public var speech: Bool

    public static let both = SearchSignals(visual: true, speech: true)
    public static let visualOnly = SearchSignals(visual: true, speech: false)
    public static let speechOnly = SearchSignals(visual: false, speech: true)

    public init(visual: Bool, speech: Bool) {
        self.visual = visual
        self.speech = speech
    }

    /// "visual", "speech", or both, comma-separated ("visual,speech"; "all" and "both" too).
    public init?(parsing text: String) {
        let names = text.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { return nil }
        var visual = false, speech = false
        for name in names {
            switch name {
            case "visual": visual = true
            case "speech": speech = true
            case "all", "both":
                visual = true
                speech = true
            default: return nil
            }
        }
        self.init(visual: visual, speech: speech)
    }

    public var name: String { [visual ? "visual" : nil, speech ? "speech" : nil].compactMap { $0 }.joined(separator: ",") }
}

/// Options of one search.
public struct SearchOptions: Equatable {
    /// Results returned.
    public var k = 10
    /// Candidates taken from the approximate first stage for reranking.
    public var candidates = 100
    /// Rerank with the video-specific prompt (false: the first stage as it is).
    public var rerank = true
    /// Each video's moments instead of its segments (PerVideoMerge).
    public var perVideo = false
    public var thumbnails = false
    /// Only videos whose path matches; the first stage fetches until it has enough of them.
    public var paths: PathFilter?
    /// Only videos made in a date range, or of a length; fetched until enough match, as `paths`.
    public var videos: VideoFilter?
    /// The pictures, the words said, or both (fused).
    public var signals: SearchSignals

    public init(
        k: Int = 10, candidates: Int = 100, rerank: Bool = true, perVideo: Bool = false, thumbnails: Bool = false,
        paths: PathFilter? = nil, videos: VideoFilter? = nil, signals: SearchSignals = .both
    ) {
        self.signals = signals
        self.paths = paths
        self.videos = videos?.isEmpty == true ? nil : videos
        self.k = k
        self.candidates = candidates
        self.rerank = rerank
        self.perVideo = perVideo
        self.thumbnails = thumbnails
    }
}

/// A stored segment used as the query of a "more like this" search.
public struct LikeSource: Equatable {
    public var embedding: [Float]
    public var path: String
    public var start: Double
    public var end: Double

    /// `path` empty: an example from outside the index (nothing to leave out).
    public init(embedding: [Float], path: String, start: Double, end: Double) {
        self.embedding = embedding
        self.path = path
        self.start = start
        self.end = end
    }
}
