/// A line of `index --dry-run --json`: what a run would do with one file (IndexPlan).
public struct PlanEvent: Codable, Equatable {
    public var version = EventLine.version
    public var path: String
    /// "encode", "skip", "move" or "fail".
    public var action: String
    /// Seconds of video (the header's, for a file to encode; the index's, for one it holds).
    public var duration: Double?
    public var error: String?
    /// The path a moved file is known under now.
    public var from: String?
    /// "changed": a file the index holds in another version.
    public var detail: String?

    public init(path: String, action: String, duration: Double? = nil, error: String? = nil, from: String? = nil, detail: String? = nil) {
        self.path = path
        self.action = action
        self.duration = duration
        self.error = error
        self.from = from
        self.detail = detail
    }
}

/// The last line of `index --dry-run --json`.
public struct PlanSummary: Codable, Equatable {
    public var version = EventLine.version
    public var summary = true
    public var encode: Int
    public var skip: Int
    public var move: Int
    public var fail: Int
    /// Seconds of video to encode.
    public var seconds: Double

    public init(encode: Int, skip: Int, move: Int, fail: Int, seconds: Double) {
        self.encode = encode
        self.skip = skip
        self.move = move
        self.fail = fail
        self.seconds = seconds
    }
}
