import VideoIndex

/// A line of `merge --json`: what happened to one video of a shard (IndexMerge).
public struct MergeEvent: Codable, Equatable {
    public var version = EventLine.version
    public var shard: String
    public var path: String
    /// "added", "replaced", "moved", "skipped" or "kept".
    public var status: String
    public var segments: Int

    public init(_ result: IndexMerge.Result) {
        shard = result.shard
        path = result.path
        status = result.outcome.rawValue
        segments = result.segments
    }
}

/// The last line of `merge --json`: how many videos had each outcome.
public struct MergeSummary: Codable, Equatable {
    public var version = EventLine.version
    public var summary = true
    public var added: Int
    public var replaced: Int
    public var moved: Int
    public var skipped: Int
    public var kept: Int

    public init(_ counts: [IndexMerge.Outcome: Int]) {
        added = counts[.added] ?? 0
        replaced = counts[.replaced] ?? 0
        moved = counts[.moved] ?? 0
        skipped = counts[.skipped] ?? 0
        kept = counts[.kept] ?? 0
    }
}
