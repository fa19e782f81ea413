import Foundation
import ICUBridge

/// The encoding of text that is not UTF-8, guessed as ICU's charset detector guesses it (byte
/// statistics, and n-grams of the languages each single-byte code page serves) and decoded by
/// ICU's converter of that name. Matches are tried best first; one whose bytes are not valid in
/// it is passed over. BOM-less UTF-16 is recognised first by its zero bytes.
enum CharsetDetection {
    /// Below this confidence (ICU's 0-100) a guess is not taken.
    static let minimumConfidence: Int32 = 10

    static func decode(_ bytes: [UInt8]) -> (text: String, encoding: String)? {
        if let wide = utf16WithoutMark(bytes) { return wide }
        var names = [CChar](repeating: 0, count: 16 * 32)
        var confidences = [Int32](repeating: 0, count: 16)
        let found = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { vs_detect_charsets($0.baseAddress, Int32($0.count), &names, &confidences, 16) }
        }
        guard found > 0 else { return nil }
        for i in 0..<Int(found) where confidences[i] >= minimumConfidence {
            let name = names[(32 * i)..<(32 * i + 32)].withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            // UTF-8 and the marked UTFs are read before this; 7-bit ISO-2022 would read any ASCII.
            guard !name.hasPrefix("UTF-"), !name.hasPrefix("ISO-2022"), let text = convert(bytes, from: name) else { continue }
            return (text, name)
        }
        return nil
    }

    /// `bytes` in `charset` by ICU's converter, or nil if a sequence is invalid there.
    static func convert(_ bytes: [UInt8], from charset: String) -> String? {
        var units = [UInt16](repeating: 0, count: bytes.count * 2 + 2)
        let length = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                units.withUnsafeMutableBufferPointer {
                    vs_convert_to_utf16(charset, chars.baseAddress, Int32(chars.count), $0.baseAddress, Int32($0.count))
                }
            }
        }
        guard length >= 0 else { return nil }
        return String(decoding: units.prefix(Int(length)), as: UTF16.self)
    }

    /// UTF-16 without a byte-order mark: text mostly of ASCII has a zero in every other byte.
    static func utf16WithoutMark(_ bytes: [UInt8]) -> (text: String, encoding: String)? {
        let sample = bytes.prefix(4096)
        guard sample.count >= 8, sample.count % 2 == 0 else { return nil }
        var zeroEven = 0, zeroOdd = 0
        for (i, byte) in sample.enumerated() where byte == 0 {
            if i % 2 == 0 { zeroEven += 1 } else { zeroOdd += 1 }
        }
        let half = sample.count / 2
        let (encoding, name): (String.Encoding, String)
        if zeroOdd * 10 >= half * 4 && zeroEven * 20 < half {
            (encoding, name) = (.utf16LittleEndian, "UTF-16LE")
        } else if zeroEven * 10 >= half * 4 && zeroOdd * 20 < half {
            (encoding, name) = (.utf16BigEndian, "UTF-16BE")
        } else {
            return nil
        }
        guard let text = String(data: Data(bytes.prefix(bytes.count / 2 * 2)), encoding: encoding) else { return nil }
        return (text, name)
    }
}
