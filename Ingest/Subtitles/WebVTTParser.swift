/// WebVTT (.vtt): a `WEBVTT` header, then cues of an optional identifier, a `start --> end
/// [settings]` line and the text; NOTE, STYLE and REGION blocks are skipped. A file without
/// the header is read anyway, with a note.
enum WebVTTParser {
    static func parse(_ text: String) -> (cues: [CueCollector.SubtitleCueDraft], notes: [String]) {
        var collector = CueCollector()
        var blocks = SubtitleBlocks.cues(text, counters: false)
        var notes: [String] = []
        if let first = blocks.first, first.line == 1, first.lines[0].hasPrefix("WEBVTT") {
            // The header; a cue written right under it, with no blank line, is kept.
            blocks.removeFirst()
            if let timing = first.lines.firstIndex(where: { SubtitleTime.range(String($0)) != nil }) {
                blocks.insert((first.line + timing, Array(first.lines[timing...])), at: 0)
            }
        } else {
            notes.append("no WEBVTT header: read as WebVTT anyway")
        }
        for (line, block) in blocks {
            if ["NOTE", "STYLE", "REGION"].contains(where: { block[0].hasPrefix($0) }) { continue }
            guard let timing = block.prefix(2).firstIndex(where: { $0.contains("-->") }),
                let (start, end) = SubtitleTime.range(String(block[timing]))
            else {
                collector.malformed(line: line)
                continue
            }
            collector.add(start: start, end: end, markup: block[(timing + 1)...].joined(separator: "\n"))
        }
        let (cues, more) = collector.finish()
        return (cues, notes + more)
    }
}
