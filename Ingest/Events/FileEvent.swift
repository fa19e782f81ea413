/// What an index run did with one file: a line of `index --json`, and the `file` event of
/// `watch --json` (`event` is "file" there, absent in `index`).
public struct FileEvent: Codable, Equatable {
    public var version = EventLine.version
    public var event: String?
    public var path: String
    /// "indexed", "skipped", "moved" or "failed" (IndexRun.Outcome).
    public var status: String
    public var segments: Int
    public var duration: Double
    /// Why it failed.
    public var error: String?
    /// What else happened ("unchanged", "from OLD/PATH", notes on its subtitles, ...).
    public var detail: String?
    /// Indexed only in part: the file is shorter than its header says.
    public var partial: Bool?
    /// Subtitle and transcript lines stored for it in this run (absent: its text was not read).
    public var cues: Int?

    public init(_ result: IndexRun.FileResult, event: String? = nil) {
        self.event = event
        path = result.path
        status = result.outcome.rawValue
        segments = result.segments
        duration = result.duration
        if result.outcome == .failed { error = result.detail } else { detail = result.detail }
        partial = result.partial ? true : nil
        cues = result.cues
    }
}

/// The last line of `index --json`: what the run did and what the index holds.
public struct RunSummary: Codable, Equatable {
    public var version = EventLine.version
    public var summary = true
    public var indexed: Int
    public var skipped: Int
    public var moved: Int
    public var failed: Int
    public var videos: Int
    public var segments: Int

    public init(indexed: Int, skipped: Int, moved: Int, failed: Int, videos: Int, segments: Int) {
        self.indexed = indexed
        self.skipped = skipped
        self.moved = moved
        self.failed = failed
        self.videos = videos
        self.segments = segments
    }
}
