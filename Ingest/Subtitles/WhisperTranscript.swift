import Foundation

/// The JSON transcript Whisper writes beside a recording (`whisper video.mp4 --output_format
/// json`): `{"text": ..., "segments": [{"start": s, "end": s, "text": ...}, ...], "language": "en"}`.
/// Only `segments` is needed; a file without it is not a transcript (other JSON beside a video
/// is left alone with a note).
enum WhisperTranscript {
    static func parse(_ bytes: [UInt8]) -> (cues: [CueCollector.SubtitleCueDraft], language: String?, notes: [String])? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let segments = object["segments"] as? [Any]
        else { return nil }
        var collector = CueCollector()
        for (i, item) in segments.enumerated() {
            guard let segment = item as? [String: Any], let start = number(segment["start"]), let end = number(segment["end"]),
                let text = segment["text"] as? String
            else {
                collector.malformed(line: i + 1)  // the segment's place in the list
                continue
            }
            collector.add(start: start, end: end, markup: text)
        }
        let (cues, notes) = collector.finish()
        return (cues, object["language"] as? String, notes.map { $0.replacingOccurrences(of: "(line ", with: "(segment ") })
    }

    private static func number(_ value: Any?) -> Double? {
        (value as? NSNumber).map(\.doubleValue)
    }
}
