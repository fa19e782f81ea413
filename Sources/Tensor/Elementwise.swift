import Foundation

/// y += x over `count` floats.
@inline(__always)
public func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}

/// x *= s over `count` floats.
@inline(__always)
public func scale(_ x: UnsafeMutablePointer<Float>, by s: Float, count: Int) {
    for i in 0..<count { x[i] *= s }
}

/// quick_gelu(x) = x * sigmoid(1.702 x), CLIP's activation, in place.
public func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int) {
    parallelChunks(count) { range in quickGELUChunk(x + range.lowerBound, count: range.count) }
}

private func quickGELUChunk(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let raw = UnsafeMutableRawPointer(x)
    while i + 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let r = v / (1 + fastExp(-1.702 * v))
        raw.storeBytes(of: r, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        let v = x[i]
        x[i] = v / (1 + fastExp(-1.702 * v))
        i += 1
    }
}

/// gelu(x) = x * Phi(x) with the exact normal CDF (erf), PyTorch's default GELU, which LAION's CLIP
/// checkpoints use ("hidden_act": "gelu"), in place.
public func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
    parallelChunks(count) { range in
        for i in range { x[i] = 0.5 * x[i] * (1 + Foundation.erf(x[i] * 0.70710678118654752)) }
    }
}

/// Softmax of each `columns`-wide row in place (max-subtracted).
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
        let p = x + r * columns
        let raw = UnsafeMutableRawPointer(p)
        var m = -Float.infinity
        for i in 0..<columns { m = max(m, p[i]) }
        var sum: Float = 0
        var i = 0
        var sums = SIMD8<Float>(repeating: 0)
        while i + 8 <= columns {
            let e = fastExp(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m)
            raw.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
            sums += e
            i += 8
        }
        sum = sums.sum()
        while i < columns {
            let e = fastExp(p[i] - m)
            p[i] = e
            sum += e
            i += 1
        }
        let inv = 1 / sum
        for j in 0..<columns { p[j] *= inv }
    }
}

/// Euclidean norm of `count` floats.
public func norm(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var s: Float = 0
    for i in 0..<count { s += x[i] * x[i] }
    return s.squareRoot()
}

/// Dot product of `count` floats.
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var s: Float = 0
    for i in 0..<count { s += a[i] * b[i] }
    return s
}
