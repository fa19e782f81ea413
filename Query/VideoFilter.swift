/// Which videos a search may return by when they were made (creation_time, else the file's
/// mtime; seconds since 1970) and how long they are. Bounds are inclusive; nil is open.
public struct VideoFilter: Equatable {
    public var after: Double?
    public var before: Double?
    public var minDuration: Double?
    public var maxDuration: Double?

    public init(after: Double? = nil, before: Double? = nil, minDuration: Double? = nil, maxDuration: Double? = nil) {
        self.after = after
        self.before = before
        self.minDuration = minDuration
        self.maxDuration = maxDuration
    }

    public var isEmpty: Bool { after == nil && before == nil && minDuration == nil && maxDuration == nil }

    public func matches(date: Double, duration: Double) -> Bool {
        if let after, !(date >= after) { return false }
        if let before, !(date <= before) { return false }
        if let minDuration, !(duration >= minDuration) { return false }
        if let maxDuration, !(duration <= maxDuration) { return false }
        return true
    }
}
