/// One hit: where in which video, how well it matches, and its thumbnail.
public struct SearchResult: Equatable {
    public var path: String
    public var videoId: UInt64
    public var segmentId: Int64
    public var start: Double
    public var end: Double
    /// Cosine similarity of the video and the (video-prompted) text embedding, in [-1, 1].
    public var score: Float
    public var thumbnail: [UInt8]?
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

    public init(k: Int = 10, candidates: Int = 100, rerank: Bool = true, perVideo: Bool = false, thumbnails: Bool = false,
                paths: PathFilter? = nil, videos: VideoFilter? = nil) {
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
