/// A text subtitle file's blocks: runs of non-blank lines between blank ones (CR, LF or CRLF
/// line ends), each with the 1-based line it starts on. SRT and WebVTT are both made of them.
enum SubtitleBlocks {
    static func split(_ text: String) -> [(line: Int, lines: [Substring])] {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        var blocks: [(Int, [Substring])] = []
        var current: [Substring] = [], first = 0
        for (i, line) in lines.enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !current.isEmpty { blocks.append((first + 1, current)) }
                current = []
            } else {
                if current.isEmpty { first = i }
                current.append(line)
            }
        }
        if !current.isEmpty { blocks.append((first + 1, current)) }
        return blocks
    }
}
