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
        bytes.withUnsafeBytes { decode($0, into: output, tokens: tokens, width: width) }
    }

    /// The same from bytes in place (a value in LMDB's map).
    @discardableResult
    public static func decode(_ raw: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<Float>, tokens: Int, width: Int) -> Bool {
        guard raw.count == 4 + tokens * 4 + tokens * width,
            UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)) == UInt32(tokens)
        else { return false }
        let values = raw.baseAddress!.assumingMemoryBound(to: Int8.self) + 4 + tokens * 4
        for t in 0..<tokens {
            let scale = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 + t * 4, as: UInt32.self)))
            let row = values + t * width, out = output + t * width
            for i in 0..<width { out[i] = Float(row[i]) * scale }
        }
        return true
    }
}
