/// Conversions of 16-bit floats stored in checkpoints to float32.
public enum HalfFloat {
    /// IEEE 754 binary16 bits to float.
    @inline(__always)
    public static func fromFloat16(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// bfloat16 bits (the top half of a float32) to float.
    @inline(__always)
    public static func fromBFloat16(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float to binary16 bits, round to nearest even.
    @inline(__always)
    public static func toFloat16(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }
}
