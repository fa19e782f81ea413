import Foundation
import VideoIndex

/// Everything a video says, in one place: its text subtitle streams and the sidecar files
/// beside it (SidecarFinder), each cue with its time range and its track's language. Bad input
/// costs a note on its track, never the video: a sidecar that cannot be read, is too large, or
/// is not a transcript is listed with the reason and no cues.
public enum SubtitleReader {
    /// Larger sidecars are not read (a two-hour film's subtitles are a few hundred kilobytes; a
    /// file this size is not subtitles, or would hold millions of lines).
    public static let maxSidecarBytes: UInt64 = 16 << 20

    /// `streams`: also read the file's own subtitle streams (false when only the sidecars
    /// changed and the stored stream cues are kept: `keeping`).
    public static func read(video path: String, streams: Bool = true, keeping stored: VideoSubtitles? = nil) -> VideoSubtitles {
        var sources: [SubtitleSource] = []
        var cues: [SubtitleCue] = []
        func add(_ source: SubtitleSource, _ drafts: [CueCollector.SubtitleCueDraft]) {
            var source = source
            source.cues = drafts.count
            cues += drafts.map { SubtitleCue(start: $0.start, end: $0.end, text: $0.text, source: sources.count) }
            sources.append(source)
        }

        if streams {
            let (tracks, skipped) = SubtitleStreamReader.read(path: path)
            for track in tracks {
                add(
                    SubtitleSource(kind: .stream, name: "stream \(track.stream)", format: track.format, language: track.language, notes: track.notes),
                    track.cues)
            }
            for stream in skipped {
                add(SubtitleSource(kind: .stream, name: "stream \(stream.stream)", format: stream.format, notes: [stream.reason]), [])
            }
        } else if let stored {
            for (place, source) in stored.sources.enumerated() where source.kind == .stream {
                let drafts = stored.cues.filter { $0.source == place }.map {
                    CueCollector.SubtitleCueDraft(start: $0.start, end: $0.end, text: $0.text)
                }
                add(source, drafts)
            }
        }

        var stamps: [SidecarStamp] = []
        for sidecar in SidecarFinder.sidecars(of: path) {
            stamps.append(SidecarStamp(name: sidecar.name, size: sidecar.size, mtime: sidecar.mtime))
            var source = SubtitleSource(kind: .sidecar, name: sidecar.name, format: sidecar.format, language: sidecar.language)
            guard sidecar.size <= maxSidecarBytes else {
                source.notes.append("too large (\(sidecar.size >> 20) MiB; the limit is \(maxSidecarBytes >> 20) MiB): not read")
                add(source, [])
                continue
            }
            guard let data = FileManager.default.contents(atPath: sidecar.path) else {
                source.notes.append("cannot be read (permission denied or gone)")
                add(source, [])
                continue
            }
            let bytes = [UInt8](data)
            switch sidecar.format {
            case "whisper-json":
                guard let transcript = WhisperTranscript.parse(bytes) else {
                    source.notes.append("not a Whisper transcript (no \"segments\" list): not read")
                    add(source, [])
                    continue
                }
                source.language = source.language ?? transcript.language
                source.notes += transcript.notes
                add(source, transcript.cues)
            default:
                let (text, note, encoding) = SubtitleText.decode(bytes)
                source.encoding = encoding
                if let note { source.notes.append(note) }
                let (drafts, notes) = sidecar.format == "webvtt" ? WebVTTParser.parse(text) : SRTParser.parse(text)
                source.notes += notes
                if drafts.isEmpty && !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && notes.isEmpty {
                    source.notes.append("no cues found")
                }
                add(source, drafts)
            }
        }
        return VideoSubtitles(sources: sources, cues: cues, sidecars: stamps)
    }

    /// The sidecars beside a video now, as stamps: a run compares them with the stored ones.
    public static func sidecarStamps(video path: String) -> [SidecarStamp] {
        SidecarFinder.sidecars(of: path).map { SidecarStamp(name: $0.name, size: $0.size, mtime: $0.mtime) }
    }

    /// The notes of every track, each naming its track ("video.en.srt: 2 malformed cues ...").
    public static func notes(_ subtitles: VideoSubtitles) -> [String] {
        subtitles.sources.flatMap { source in source.notes.map { "\(source.name): \($0)" } }
    }
}
