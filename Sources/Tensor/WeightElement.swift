import CIntrinsics

/// A weight type the panel kernel reads: eight values at a time as f32.
protocol WeightElement {
    static func load8(_ base: UnsafeRawPointer, element: Int) -> SIMD8<Float>
}

extension Float: WeightElement {
    @inline(__always)
    static func load8(_ base: UnsafeRawPointer, element: Int) -> SIMD8<Float> {
        base.loadUnaligned(fromByteOffset: element * 4, as: SIMD8<Float>.self)
    }
}

extension Float16: WeightElement {
    @inline(__always)
    static func load8(_ base: UnsafeRawPointer, element: Int) -> SIMD8<Float> {
        vs_load_half8(base + element * 2)  // vcvtph2ps
    }
}
