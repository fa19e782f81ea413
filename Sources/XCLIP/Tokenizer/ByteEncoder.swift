/// GPT-2's byte-to-symbol table: every byte maps to a printable character, so that BPE
/// works on strings. Bytes 33-126, 161-172 and 174-255 map to themselves; the other 68,
/// in increasing order, to U+0100, U+0101, ...
enum ByteEncoder {
    /// The 256 bytes in vocabulary order (ids 0-255 are their symbols).
    static let order: [UInt8] = {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        let rest = (0...255).filter { !printable.contains($0) }
        return (printable + rest).map { UInt8($0) }
    }()

    /// symbol[byte] = the character that stands for it.
    static let symbol: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        let printable = Set(Array(33...126) + Array(161...172) + Array(174...255))
        for b in 0...255 {
            if printable.contains(b) {
                table[b] = Character(Unicode.Scalar(UInt32(b))!)
            } else {
                table[b] = Character(Unicode.Scalar(next)!)
                next += 1
            }
        }
        return table
    }()
}
