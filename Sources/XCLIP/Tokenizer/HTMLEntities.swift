/// HTML entity decoding as the CLIP tokenizer's cleaning does it: Python's `html.unescape`
/// (which it applies twice) and ftfy's stricter `unescape_html` (semicolon required, plus
/// upper-cased names such as "&NTILDE;"). Both read the HTML5 table in HTMLEntityTable.swift.
enum HTMLEntities {
    /// The HTML5 table: name (with its ';' where the standard has one) to replacement.
    static let html5: [String: String] = {
        var table: [String: String] = [:]
        table.reserveCapacity(2300)
        for line in htmlEntityTable.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            let scalars = parts[1].split(separator: " ").compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
            table[String(parts[0])] = String(String.UnicodeScalarView(scalars))
        }
        return table
    }()

    /// ftfy's table: "&name;" entries, and upper-cased variants where that is unambiguous.
    static let ftfyTable: [String: String] = {
        var table: [String: String] = [:]
        for (name, value) in html5 where name.hasSuffix(";") {
            table["&" + name] = value
            if name == name.lowercased() {
                let upper = "&" + name.uppercased()
                if pythonUnescape(upper) == upper { table[upper] = value.uppercased() }
            }
        }
        return table
    }()

    /// Python's html.unescape: numeric references (with its replacements for invalid code points)
    /// and named references, the longest known prefix winning when the name is not terminated.
    static func pythonUnescape(_ text: String) -> String {
        guard text.unicodeScalars.contains("&") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "&", i + 1 < s.count else {
                out.append(s[i])
                i += 1
                continue
            }
            if s[i + 1] == "#" {
                if let (value, end) = numericReference(s, from: i + 2) {
                    out.append(contentsOf: charref(value).unicodeScalars)
                    i = end
                } else {
                    out.append(s[i])
                    i += 1
                }
                continue
            }
            var j = i + 1
            while j < s.count, j - (i + 1) < 32, !["\t", "\n", "\u{0C}", " ", "<", "&", "#", ";"].contains(s[j]) { j += 1 }
            guard j > i + 1 else {
                out.append(s[i])
                i += 1
                continue
            }
            if j < s.count, s[j] == ";" { j += 1 }
            let name = String(String.UnicodeScalarView(s[(i + 1)..<j]))
            if let value = html5[name] {
                out.append(contentsOf: value.unicodeScalars)
            } else {
                let scalars = Array(name.unicodeScalars)
                var replaced = false
                if scalars.count > 2 {
                    for x in stride(from: scalars.count - 1, through: 2, by: -1) {
                        if let value = html5[String(String.UnicodeScalarView(scalars[0..<x]))] {
                            out.append(contentsOf: value.unicodeScalars)
                            out.append(contentsOf: scalars[x...])
                            replaced = true
                            break
                        }
                    }
                }
                if !replaced {
                    out.append("&")
                    out.append(contentsOf: scalars)
                }
            }
            i = j
        }
        return String(out)
    }

    /// "#x41;", "#65" and the like, starting after "&#": the value and where the reference ends.
    private static func numericReference(_ s: [Unicode.Scalar], from start: Int) -> (UInt64, Int)? {
        var j = start
        var hex = false
        if j < s.count, s[j] == "x" || s[j] == "X" {
            hex = true
            j += 1
        }
        let digitsStart = j
        var value: UInt64 = 0
        while j < s.count, let d = hex ? s[j].hexDigitValue : s[j].decimalDigitValue {
            value = min(value &* (hex ? 16 : 10) &+ UInt64(d), 0xFFFF_FFFF)  // saturate: anything past 0x10FFFF is invalid alike
            j += 1
        }
        guard j > digitsStart else { return nil }
        if j < s.count, s[j] == ";" { j += 1 }
        return (value, j)
    }

    /// Python's rules for a numeric reference's value.
    private static func charref(_ value: UInt64) -> String {
        if value == 0 { return "\u{FFFD}" }
        if value == 0x0D { return "\r" }
        if (0x80...0x9F).contains(value) { return windows1252(UInt8(value)) }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return "\u{FFFD}" }
        if (0x1...0x8).contains(value) || (0xE...0x1F).contains(value) || value == 0xB || value == 0x7F
            || (0xFDD0...0xFDEF).contains(value) || (value & 0xFFFE) == 0xFFFE
        {
            return ""
        }
        return String(Unicode.Scalar(UInt32(value))!)
    }

    /// A C1 byte read as Windows-1252 ("sloppy": the five undefined bytes stay as they are).
    static func windows1252(_ byte: UInt8) -> String {
        let table: [UInt8: UInt32] = [
            0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
            0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018,
            0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC,
            0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A, 0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
        ]
        return String(Unicode.Scalar(table[byte] ?? UInt32(byte))!)
    }

    /// ftfy's unescape_html: "&name;" or "&#...;" with 1-24 ASCII letters or digits, semicolon required.
    static func ftfyUnescape(_ text: String) -> String {
        guard text.unicodeScalars.contains("&") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "&" else {
                out.append(s[i])
                i += 1
                continue
            }
            var j = i + 1
            if j < s.count, s[j] == "#" { j += 1 }
            let runStart = j
            while j < s.count, j - runStart < 25, s[j].isASCII, s[j].properties.isAlphabetic || s[j].decimalDigitValue != nil { j += 1 }
            let run = j - runStart
            guard run >= 1, run <= 24, j < s.count, s[j] == ";" else {
                out.append(s[i])
                i += 1
                continue
            }
            let entity = String(String.UnicodeScalarView(s[i...j]))
            if let value = ftfyTable[entity] {
                out.append(contentsOf: value.unicodeScalars)
            } else if entity.hasPrefix("&#") {
                let decoded = pythonUnescape(entity)
                out.append(contentsOf: (decoded.contains(";") ? entity : decoded).unicodeScalars)
            } else {
                out.append(contentsOf: entity.unicodeScalars)
            }
            i = j + 1
        }
        return String(out)
    }
}

extension Unicode.Scalar {
    fileprivate var hexDigitValue: Int? {
        switch value {
        case 0x30...0x39: return Int(value - 0x30)
        case 0x41...0x46: return Int(value - 0x41 + 10)
        case 0x61...0x66: return Int(value - 0x61 + 10)
        default: return nil
        }
    }

    fileprivate var decimalDigitValue: Int? { (0x30...0x39).contains(value) ? Int(value - 0x30) : nil }
}
