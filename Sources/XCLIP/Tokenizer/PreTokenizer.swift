/// Splits cleaned text as CLIP's pattern does:
/// `<|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (case-insensitive): the special strings, English contraction suffixes, runs of letters,
/// single digits, runs of other non-space characters. Whitespace separates and is dropped.
/// A hand-written scanner over Unicode scalars, equal to the regex and much faster.
enum PreTokenizer {
    static let specials = ["<|startoftext|>", "<|endoftext|>"].map { Array($0.unicodeScalars) }
    static let contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map { Array($0.unicodeScalars) }

    static func split(_ text: String) -> [Substring.UnicodeScalarView] {
        let view = Substring(text).unicodeScalars
        let s = Array(view)
        var indices: [String.UnicodeScalarView.Index] = []
        indices.reserveCapacity(s.count + 1)
        var idx = view.startIndex
        while idx < view.endIndex {
            indices.append(idx)
            idx = view.index(after: idx)
        }
        indices.append(view.endIndex)

        var pieces: [Substring.UnicodeScalarView] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if isSpace(c) {
                i += 1
                continue
            }
            var end = i + 1
            if c == "<" || c == "'", let m = (specials + contractions).first(where: { matches($0, s, at: i) }) {
                end = i + m.count
            } else if isLetter(c) {
                while end < s.count, isLetter(s[end]) { end += 1 }
            } else if isNumber(c) {
                end = i + 1
            } else {
                while end < s.count, !isSpace(s[end]), !isLetter(s[end]), !isNumber(s[end]) { end += 1 }
            }
            pieces.append(view[indices[i]..<indices[end]])
            i = end
        }
        return pieces
    }

    /// Case-insensitive literal match. The text is lowercased already, so what remains of the
    /// regex's case folding is the long s: "'ſ" matches "'s" as it does in the reference.
    private static func matches(_ pattern: [Unicode.Scalar], _ s: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + pattern.count <= s.count else { return false }
        for k in 0..<pattern.count where s[i + k] != pattern[k] && !(s[i + k] == "\u{017F}" && pattern[k] == "s") {
            return false
        }
        return true
    }

    @inline(__always) static func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }

    @inline(__always) static func isLetter(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return (0x41...0x5A).contains(c.value) || (0x61...0x7A).contains(c.value) }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    @inline(__always) static func isNumber(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return (0x30...0x39).contains(c.value) }
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}
