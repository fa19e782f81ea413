import Foundation

/// A subtitle file's bytes as text, whatever its encoding, with the encoding it was read in and a
/// note when that was not plain UTF-8: a byte-order mark picks UTF-8, UTF-16 or UTF-32; UTF-16
/// without one is told by its zero bytes; valid UTF-8 is read as it is; text with a few invalid
/// UTF-8 sequences among valid multi-byte ones is UTF-8 with the bad bytes replaced (U+FFFD);
/// anything else is read in the encoding ICU's detector finds (CharsetDetection: the Cyrillic,
/// Greek, Hebrew, Arabic, Central European and Turkish code pages, GB18030, Big5, Shift-JIS,
/// EUC-JP and EUC-KR), and failing that as Windows-1252, which every byte decodes in.
enum SubtitleText {
    static func decode(_ bytes: [UInt8]) -> (text: String, note: String?, encoding: String) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return utf8(Array(bytes.dropFirst(3))) }
        if bytes.starts(with: [0xFF, 0xFE, 0, 0]) { return wide(Array(bytes.dropFirst(4)), .utf32LittleEndian, "UTF-32") }
        if bytes.starts(with: [0, 0, 0xFE, 0xFF]) { return wide(Array(bytes.dropFirst(4)), .utf32BigEndian, "UTF-32") }
        if bytes.starts(with: [0xFF, 0xFE]) { return wide(Array(bytes.dropFirst(2)), .utf16LittleEndian, "UTF-16") }
        if bytes.starts(with: [0xFE, 0xFF]) { return wide(Array(bytes.dropFirst(2)), .utf16BigEndian, "UTF-16") }
        // Before the UTF-8 check: ASCII in UTF-16 is valid UTF-8, with a NUL after every letter.
        if let (text, name) = CharsetDetection.utf16WithoutMark(bytes) { return (text, "read as \(name) (no byte-order mark)", name) }
        return utf8(bytes)
    }

    private static func wide(_ bytes: [UInt8], _ encoding: String.Encoding, _ name: String) -> (String, String?, String) {
        let unit = name == "UTF-32" ? 4 : 2
        let whole = Array(bytes.prefix(bytes.count / unit * unit))
        if let text = String(data: Data(whole), encoding: encoding) {
            return (text, "read as \(name) (byte-order mark)" + (whole.count < bytes.count ? "; a cut-off last character dropped" : ""), name)
        }
        return (
            String(decoding: bytes.filter { $0 >= 0x20 && $0 < 0x7F || $0 == 0x0A }, as: UTF8.self),
            "marked \(name) but not valid \(name): only its ASCII characters read", "ASCII"
        )
    }

    private static func utf8(_ bytes: [UInt8]) -> (String, String?, String) {
        var invalid = 0, multibyte = 0
        var i = 0
        while i < bytes.count {
            let length = sequenceLength(bytes, at: i)
            if length == 0 {
                invalid += 1
                i += 1
            } else {
                if length > 1 { multibyte += 1 }
                i += length
            }
        }
        if invalid == 0 { return (String(decoding: bytes, as: UTF8.self), nil, "UTF-8") }
        if multibyte > 0 && invalid * 4 <= multibyte + 1 {
            return (
                String(decoding: bytes, as: UTF8.self), "invalid UTF-8 at \(invalid) place\(invalid == 1 ? "" : "s"): replaced with U+FFFD", "UTF-8"
            )
        }
        if let (text, name) = CharsetDetection.decode(bytes) { return (text, "not UTF-8: read as \(name) (detected)", name) }
        return (windows1252(bytes), "not UTF-8: read as Windows-1252 (Latin-1)", "windows-1252")
    }

    /// The length of the valid UTF-8 sequence at `i` (1-4), or 0 when it is not one.
    private static func sequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let lead = b[i]
        if lead < 0x80 { return 1 }
        let (length, low, high): (Int, UInt8, UInt8)
        switch lead {
        case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
        case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
        case 0xED: (length, low, high) = (3, 0x80, 0x9F)
        case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
        case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
        case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
        default: return 0
        }
        guard i + length <= b.count, (low...high).contains(b[i + 1]) else { return 0 }
        for k in 2..<length where !(0x80...0xBF).contains(b[i + k]) { return 0 }
        return length
    }

    /// Windows-1252's characters for 0x80-0x9F; the rest of the bytes are their Latin-1 code points.
    private static let high: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    static func windows1252(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value = (0x80...0x9F).contains(byte) ? high[Int(byte) - 0x80] : UInt32(byte)
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }
}
