/// SubRip (.srt): blocks of an optional number, a `start --> end` line and the text, separated
/// by blank lines. Lenient where files in the wild are (no number, `.` for `,`, CR line ends,
/// extra blank lines); a block without a readable time line is a malformed cue.
enum SRTParser {
    static func parse(_ text: String) -> (cues: [CueCollector.SubtitleCueDraft], notes: [String]) {
        var collector = CueCollector()
        for (line, block) in SubtitleBlocks.cues(text, counters: true) {
            guard let timing = block.prefix(2).firstIndex(where: { $0.contains("-->") }),
                let (start, end) = SubtitleTime.range(String(block[timing]))
            else {
                collector.malformed(line: line)
                continue
            }
            collector.add(start: start, end: end, markup: block[(timing + 1)...].joined(separator: "\n"))
        }
        return collector.finish()
    }
}
