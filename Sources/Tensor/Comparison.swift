/// Comparisons that cannot be fooled by NaN. Swift's `max(a, b)` returns the other argument when
/// one is NaN, so a running `max` of differences reports 0 for an output that is all NaN; these
/// check finiteness explicitly and report +infinity for any NaN or infinite value on either side.

/// The index of the first NaN or infinite value, or nil when all `count` values are finite.
public func firstNonFinite(_ x: UnsafePointer<Float>, count: Int) -> Int? {
    for i in 0..<count where !x[i].isFinite { return i }
    return nil
}

public func firstNonFinite(_ x: [Float]) -> Int? {
    x.withUnsafeBufferPointer { firstNonFinite($0.baseAddress!, count: $0.count) }
}

/// max |a[i] - b[i]|, or +infinity when any value of a or b is not finite.
public func maxAbsDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var worst: Float = 0
    for i in 0..<count {
        guard a[i].isFinite, b[i].isFinite else { return .infinity }
        let d = abs(a[i] - b[i])
        if d > worst { worst = d }
    }
    return worst
}

public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length")
    return a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            maxAbsDifference(pa.baseAddress!, pb.baseAddress!, count: a.count)
        }
    }
}

/// max |x[i]|, or +infinity when any value is not finite.
public func maxAbsValue(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var worst: Float = 0
    for i in 0..<count {
        guard x[i].isFinite else { return .infinity }
        if abs(x[i]) > worst { worst = abs(x[i]) }
    }
    return worst
}

/// max |a - b| / max |b| (b the reference), +infinity when anything is not finite, and the plain
/// difference when the reference is all zero.
public func relativeError(_ a: UnsafePointer<Float>, reference b: UnsafePointer<Float>, count: Int) -> Float {
    let diff = maxAbsDifference(a, b, count: count)
    guard diff.isFinite else { return .infinity }
    let scale = maxAbsValue(b, count: count)
    return scale > 0 ? diff / scale : diff
}
