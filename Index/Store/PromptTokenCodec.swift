/// Compact storage of a segment's prompt tokens (tokens x dimension floats): 8-bit values with
/// one float scale per token (its largest magnitude / 127). At B/32 that is 49 x 512 bytes plus
/// 49 scales, about 25 KB instead of 100 KB as f32 or 50 KB as f16. The rerank score error this
/// causes is measured by `vidsearch bench index` and recorded in BENCHMARKS.md.
public enum PromptTokenCodec {
    public static func encode(_ values: [Float], tokens: Int) -> [UInt8] {
        precondition(tokens > 0 && values.count % tokens == 0, "\(values.count) values for \(tokens) tokens")
        let width = values.count / tokens
        var out = [UInt8](repeating: 0, count: 4 + tokens * 4 + values.count)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(tokens).littleEndian, toByteOffset: 0, as: UInt32.self)
            for t in 0..<tokens {
                var peak: Float = 0
                for i in 0..<width { peak = max(peak, abs(values[t * width + i])) }
                let scale = peak > 0 ? peak / 127 : 1
                raw.storeBytes(of: scale.bitPattern.littleEndian, toByteOffset: 4 + t * 4, as: UInt32.self)
                let base = 4 + tokens * 4 + t * width
                for i in 0..<width {
                    let q = (values[t * width + i] / scale).rounded()
                    raw.storeBytes(of: Int8(max(-127, min(127, q))), toByteOffset: base + i, as: Int8.self)
                }
            }
        }
        return out
    }

    /// Decodes into `output` (tokens x width floats); returns false if the bytes do not fit.
    @discardableResult
    public static func decode(_ bytes: [UInt8], into output: UnsafeMutablePointer<Float>, tokens: Int, width: Int) -> Bool {
        guard bytes.count == 4 + tokens * 4 + tokens * width, bytes.loadLE(UInt32.self, at: 0) == UInt32(tokens) else { return false }
        bytes.withUnsafeBytes { raw in
            for t in 0..<tokens {
                let scale = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 + t * 4, as: UInt32.self)))
                let base = 4 + tokens * 4 + t * width
                for i in 0..<width {
                    output[t * width + i] = Float(raw.load(fromByteOffset: base + i, as: Int8.self)) * scale
                }
            }
        }
        return true
    }
}
