/// A text subtitle file's blocks: runs of non-blank lines between blank ones (CR, LF or CRLF
/// line ends), each with the 1-based line it starts on. SRT and WebVTT are both made of them.
enum SubtitleBlocks {
    /// The blocks, each cut again before every timing line but its first: files written
    /// without blank lines between cues (SRT from some tools, youtube-dl's .vtt) are read cue by
    /// cue, as FFmpeg and pysubs2 read them, rather than as one cue holding the others' text.
    /// With `counters` (SRT) a line of digits just before a timing line is that cue's number.
    static func cues(_ text: String, counters: Bool) -> [(line: Int, lines: [Substring])] {
        var result: [(line: Int, lines: [Substring])] = []
        for (first, lines) in split(text) {
            var start = 0
            var seenTiming = false
            for (i, line) in lines.enumerated() where SubtitleTime.range(String(line)) != nil {
                defer { seenTiming = true }
                guard seenTiming else { continue }
                var cut = i
                if counters, i - 1 > start, lines[i - 1].allSatisfy(\.isNumber) { cut = i - 1 }
                result.append((first + start, Array(lines[start..<cut])))
                start = cut
            }
            result.append((first + start, Array(lines[start...])))
        }
        return result
    }

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
