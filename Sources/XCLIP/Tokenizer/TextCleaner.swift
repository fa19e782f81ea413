import Foundation

/// The cleaning CLIP's SimpleTokenizer applies before splitting: ftfy.fix_text, HTML-unescape
/// twice, strip, collapse whitespace runs to one space, lowercase.
///
/// Of ftfy's default fixes this implements every one that changes typed text: HTML entities,
/// C1 controls as Windows-1252, Latin ligatures, full-width and half-width forms, curly quotes,
/// line breaks, terminal escapes, control characters and NFC, repeated until nothing changes.
/// Left out: ftfy's mojibake repair (text decoded in the wrong encoding), which guesses from
/// statistics of its own; such text is tokenized as it is.
public enum TextCleaner {
    public static func clean(_ text: String) -> String {
        var t = fixText(text)
        t = HTMLEntities.pythonUnescape(HTMLEntities.pythonUnescape(t))
        return collapseWhitespace(t).lowercased()
    }

    /// ftfy.fix_text with its default configuration (less mojibake repair), line by line as
    /// ftfy does; HTML unescaping stops for good at the first line holding a "<" (it looks like HTML).
    static func fixText(_ text: String) -> String {
        var unescape = true
        var out = ""
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            var segment = String(line)
            if n + 1 < lines.count { segment += "\n" }
            if unescape && line.contains("<") { unescape = false }
            out += fixSegment(segment, unescape: unescape)
        }
        return out
    }

    private static func fixSegment(_ segment: String, unescape: Bool) -> String {
        var text = segment
        for _ in 0..<16 {  // ftfy repeats its fixes until the text stops changing
            let before = text
            if unescape { text = HTMLEntities.ftfyUnescape(text) }
            text = fixScalars(text)
            text = text.precomposedStringWithCanonicalMapping  // NFC
            if text == before { break }
        }
        return text
    }

    /// The per-character fixes, in ftfy's order.
    private static func fixScalars(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        let s = Array(text.unicodeScalars)
        var i = 0
        while i < s.count {
            let c = s[i]
            let v = c.value
            // remove_terminal_escapes: ESC [ digits-or-semicolons letter
            if v == 0x1B, i + 1 < s.count, s[i + 1] == "[" {
                var j = i + 2
                while j < s.count, s[j] == ";" || (0x30...0x39).contains(s[j].value) { j += 1 }
                if j < s.count, s[j].isASCII, s[j].properties.isAlphabetic {
                    i = j + 1
                    continue
                }
            }
            i += 1
            switch v {
            case 0x80...0x9F:  // fix_c1_controls, before line breaks turn U+0085 into "\n"
                out.append(contentsOf: HTMLEntities.windows1252(UInt8(v)).unicodeScalars)
            case 0x0D:  // fix_line_breaks: "\r\n" and "\r"
                if i < s.count, s[i] == "\n" { i += 1 }
                out.append("\n")
            case 0x2028, 0x2029:
                out.append("\n")
            case 0x02BC, 0x2018...0x201B:  // uncurl_quotes
                out.append("'")
            case 0x201C...0x201F:
                out.append("\"")
            case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC:  // remove_control_chars
                break
            default:
                if let ligature = ligatures[v] {
                    out.append(contentsOf: ligature.unicodeScalars)
                } else if v == 0x3000 {
                    out.append(" ")
                } else if (0xFF01...0xFFEF).contains(v) {  // fix_character_width: NFKC of these forms
                    out.append(contentsOf: String(c).precomposedStringWithCompatibilityMapping.unicodeScalars)
                } else {
                    out.append(c)
                }
            }
        }
        return String(out)
    }

    /// ftfy's fix_latin_ligatures table.
    private static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "\u{02BC}n", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
        0x01C4: "D\u{017D}", 0x01C5: "D\u{017E}", 0x01C6: "d\u{017E}", 0x01C7: "LJ", 0x01C8: "Lj", 0x01C9: "lj",
        0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj",
        0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "\u{017F}t", 0xFB06: "st",
    ]

    /// Python's re.sub(r"\s+", " ", text).strip() with Unicode whitespace.
    static func collapseWhitespace(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for c in text.unicodeScalars {
            if c.properties.isWhitespace || (0x1C...0x1F).contains(c.value) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(c)
            }
        }
        return String(out)
    }
}
