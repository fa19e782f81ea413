import ArgumentParser

/// The ranges numbers from the command line must fall in. Each bound is far beyond real use and
/// keeps a typo (or 9223372036854775807) from becoming an allocation the machine cannot make, a
/// loop without end, or a trap: outside it is a usage error (exit 2) that names the flag.
enum Limits {
    /// Results and rerank candidates per query (the rerank runs in bounded chunks of these).
    static let maxResults = 10_000
    /// Segment length and stride in seconds: from a quarter second to an hour.
    static let segmentSeconds = 0.25...3600.0
    static let maxBenchVectors = 20_000_000

    static func check(_ value: Int, _ flag: String, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    /// NaN and infinities are outside every range (a NaN compares false with both ends).
    static func check(_ value: Double, _ flag: String, _ range: ClosedRange<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(flag) must be a number of seconds between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }
}
