/// Vectorized exp for the activation and softmax loops (libm's expf, one call per element,
/// costs more than the matrix products around it at these sizes).
/// exp(x) = 2^n * e^g with n = round(x log2 e) and g = x - n ln2 computed in two parts
/// (Cody-Waite) so g stays exact; e^g by a degree-6 polynomial on |g| <= ln2/2.
/// Relative error below 5e-7; exp(x) is 0 below -87.3 (so -inf masks give exact zeros)
/// and inputs above 88 are clamped.
@inline(__always)
public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = x.clamped(lowerBound: SIMD8(repeating: -87.3), upperBound: SIMD8(repeating: 88))
    let n = (clamped * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
    let g = (clamped - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187_05e-06
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * g + 1.0 / 120
    p = p * g + 1.0 / 24
    p = p * g + 1.0 / 6
    p = p * g + 0.5
    p = p * g + 1
    p = p * g + 1
    let exponent = (SIMD8<Int32>(n) &+ 127) &<< 23  // 2^n as float bits
    let result = p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    return result.replacing(with: 0, where: x .< -87.3)
}

@inline(__always)
public func fastExp(_ x: Float) -> Float {
    fastExp(SIMD8(repeating: x))[0]
}
