import Foundation

/// Gathers one track's cues as a parser finds them and keeps count of what was wrong, so that a
/// bad cue costs that cue and a note, never the track or the video:
/// - a cue without a readable time line, or with nothing to say, is skipped;
/// - negative times, or an end before the start, skip the cue;
/// - cues out of time order are kept and sorted.
struct CueCollector {
    private(set) var cues: [SubtitleCueDraft] = []
    private var malformed: [Int] = []
    private var negative = 0
    private var backwards = 0
    private var outOfOrder = false

    struct SubtitleCueDraft: Equatable {
        var start: Double
        var end: Double
        var text: String
    }

    /// A cue whose times did not parse, at `line` (1-based) of its file.
    mutating func malformed(line: Int) { malformed.append(line) }

    mutating func add(start: Double, end: Double, markup: String) {
        let text = SubtitleMarkup.plain(markup)
        guard !text.isEmpty else { return }
        guard start.isFinite, end.isFinite, start >= 0, end >= 0 else {
            negative += 1
            return
        }
        guard end >= start else {
            backwards += 1
            return
        }
        if let last = cues.last, start < last.start { outOfOrder = true }
        cues.append(SubtitleCueDraft(start: start, end: end, text: text))
    }

    /// The cues in time order, and a note for each kind of trouble.
    func finish() -> (cues: [SubtitleCueDraft], notes: [String]) {
        var notes: [String] = []
        if !malformed.isEmpty {
            let lines = malformed.prefix(3).map(String.init).joined(separator: ", ") + (malformed.count > 3 ? ", ..." : "")
            notes.append("\(malformed.count) malformed cue\(malformed.count == 1 ? "" : "s") skipped (line \(lines))")
        }
        if negative > 0 { notes.append("\(negative) cue\(negative == 1 ? "" : "s") with a negative time skipped") }
        if backwards > 0 {
            notes.append("\(backwards) cue\(backwards == 1 ? "" : "s") ending before \(backwards == 1 ? "its" : "their") start skipped")
        }
        if outOfOrder { notes.append("cues out of time order: sorted") }
        return (
            cues.enumerated().sorted { ($0.element.start, $0.element.end, $0.offset) < ($1.element.start, $1.element.end, $1.offset) }.map(\.element),
            notes
        )
    }
}

/// Subtitle times: `HH:MM:SS,mmm` (SRT), `HH:MM:SS.mmm` or `MM:SS.mmm` (WebVTT), and ASS's
/// `H:MM:SS.cc`; any number of fraction digits. A leading minus gives a negative time (which
/// the collector refuses with a note, rather than the cue being called malformed).
enum SubtitleTime {
    static func parse<S: StringProtocol>(_ text: S) -> Double? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var sign = 1.0
        if body.hasPrefix("-") {
            sign = -1
            body = body.dropFirst()
        }
        let fields = body.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(fields.count) else { return nil }
        var seconds = 0.0
        for (i, field) in fields.enumerated() {
            let last = i == fields.count - 1
            let normal = last ? field.replacingOccurrences(of: ",", with: ".") : String(field)
            guard !normal.isEmpty, normal.allSatisfy({ $0.isASCII && ($0.isNumber || (last && $0 == ".")) }),
                normal.filter({ $0 == "." }).count <= 1, let value = Double(normal)
            else { return nil }
            if i > 0 && value >= 60 { return nil }
            seconds = seconds * 60 + value
        }
        return sign * seconds
    }

    /// `start --> end` with anything after the end (WebVTT's cue settings): the two times, or nil.
    static func range(_ line: String) -> (Double, Double)? {
        guard let arrow = line.range(of: "-->") else { return nil }
        let left = line[..<arrow.lowerBound]
        let right = line[arrow.upperBound...].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? ""
        guard let start = parse(left), let end = parse(right) else { return nil }
        return (start, end)
    }
}
