import Foundation

/// A cue's words without its styling: ASS/SSA override blocks (`{\i1}`, `{\pos(10,20)}`) and
/// its `\N`, `\n` and `\h` escapes; HTML-like tags in SRT and WebVTT (`<i>`, `<font color=..>`,
/// `<v Speaker>`, `<c.yellow>`, `<00:00:01.000>`) and the common entities. Lines are joined by
/// spaces and runs of white space become one.
enum SubtitleMarkup {
    static func plain(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "{", let close = scalars[i...].firstIndex(of: "}"), scalars[(i + 1)..<close].first == "\\" {
                i = close + 1  // an ASS override block
                continue
            }
            if c == "\\", i + 1 < scalars.count, ["N", "n", "h"].contains(scalars[i + 1]) {
                out.append(" ")
                i += 2
                continue
            }
            if c == "<", let close = scalars[i...].prefix(256).firstIndex(of: ">"), close > i + 1, isTag(scalars[(i + 1)..<close]) {
                i = close + 1
                continue
            }
            out.append(c)
            i += 1
        }
        return collapse(entities(String(out)))
    }

    /// `<i>`, `</font>`, `<font color="red">`, `<v Bob>`, `<c.x>`, `<00:01.000>`: a tag starts
    /// with a letter, a slash or a digit (a timestamp) and holds no further `<`.
    private static func isTag(_ inner: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = inner.first, first.properties.isAlphabetic || first == "/" || ("0"..."9").contains(first) else { return false }
        return !inner.contains("<")
    }

    private static let namedEntities = [
        "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&apos;": "'", "&#39;": "'", "&nbsp;": " ", "&lrm;": "", "&rlm;": "",
    ]

    private static func entities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = text
        for (entity, value) in namedEntities { result = result.replacingOccurrences(of: entity, with: value) }
        return result
    }

    private static func collapse(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
    }
}
