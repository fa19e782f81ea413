/// Vectorized exp for the activation and softmax loops (libm's expf, one call per element,
/// costs more than the matrix products around it at these sizes).
/// exp(x) = 2^n * e^g with n = round(x log2 e) and g = x - n ln2 computed in two parts
/// (Cody-Waite) so g stays exact; e^g by a degree-6 polynomial on |g| <= ln2/2.
/// Relative error below 5e-7; exp(x) is 0 below -87.3 (so -inf masks give exact zeros)
/// and inputs above 88 are clamped.
/// Written with comparisons, blends and the 1.5 * 2^23 rounding trick only: Swift's generic SIMD
/// `clamped`, `rounded` and integer conversion are not specialized into vector instructions and
/// cost more than the rest of the function.
@inline(__always)
public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var clamped = x.replacing(with: -87.3, where: x .< -87.3)
    clamped = clamped.replacing(with: 88, where: clamped .> 88)
    // Adding 1.5 * 2^23 rounds to the nearest integer (ties to even) and leaves that integer
    // in the low mantissa bits of the sum.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_040_888_963_4 + magic
    let n = shifted - magic
    let g = (clamped - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187_05e-06
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * g + 1.0 / 120
    p = p * g + 1.0 / 24
    p = p * g + 1.0 / 6
    p = p * g + 0.5
    p = p * g + 1
    p = p * g + 1
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let exponent = (integer &+ 127) &<< 23  // 2^n as float bits
    let result = p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    return result.replacing(with: 0, where: x .< -87.3)
}

@inline(__always)
public func fastExp(_ x: Float) -> Float {
    fastExp(SIMD8(repeating: x))[0]
}
