import Foundation

/// One subtitle or transcript line: when it is shown and what it says, as plain text (styling
/// and tags are stripped at ingest). `source` is its track's place in `VideoSubtitles.sources`.
public struct SubtitleCue: Codable, Equatable {
    public var start: Double
    public var end: Double
    public var text: String
    public var source: Int

    public init(start: Double, end: Double, text: String, source: Int = 0) {
        self.start = start
        self.end = end
        self.text = text
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case start = "a"
        case end = "b"
        case text = "t"
        case source = "s"
    }
}

/// Where a video's cues came from: a text subtitle stream of the file, or a file beside it
/// (`video.srt`, `video.en.vtt`, Whisper's `video.json`).
public struct SubtitleSource: Codable, Equatable {
    public enum Kind: String, Codable { case stream, sidecar }

    public var kind: Kind
    /// The stream's index in the file ("stream 2"), or the sidecar's file name.
    public var name: String
    /// The format read: "subrip", "ass", "mov_text", "webvtt", "whisper-json", ...
    public var format: String
    /// A language code where the stream's metadata or the sidecar's name gives one ("en", "de").
    public var language: String?
    /// The text encoding a sidecar was read in ("UTF-8", "windows-1251", "Shift_JIS", ...).
    public var encoding: String?
    public var cues: Int
    /// What was wrong with it and what was done (a skipped cue, text read as CP-1252, ...).
    public var notes: [String]

    public init(kind: Kind, name: String, format: String, language: String? = nil, cues: Int = 0, notes: [String] = []) {
        self.kind = kind
        self.name = name
        self.format = format
        self.language = language
        self.cues = cues
        self.notes = notes
    }
}

/// A sidecar file as it was when read: a change of size or modification time reads the text
/// again (and only the text: the vectors stay).
public struct SidecarStamp: Codable, Equatable {
    public var name: String
    public var size: UInt64
    public var mtime: Double

    public init(name: String, size: UInt64, mtime: Double) {
        self.name = name
        self.size = size
        self.mtime = mtime
    }
}

/// Everything said in one video, stored under its id in LMDB's "subtitles" database.
public struct VideoSubtitles: Codable, Equatable {
    public var sources: [SubtitleSource]
    /// In time order.
    public var cues: [SubtitleCue]
    /// The sidecars read (empty when there were none).
    public var sidecars: [SidecarStamp]

    public init(sources: [SubtitleSource] = [], cues: [SubtitleCue] = [], sidecars: [SidecarStamp] = []) {
        self.sources = sources
        self.cues = cues.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        self.sidecars = sidecars
    }

    public var isEmpty: Bool { cues.isEmpty }

    /// What the video record keeps of it: enough for a run to tell whether the text changed.
    public var summary: SubtitleSummary {
        SubtitleSummary(cues: cues.count, sidecars: sidecars, digest: digest)
    }

    /// A hash of the cues' times, text and languages: the text cache re-reads a video whose digest moved.
    public var digest: String {
        var parts: [[UInt8]] = []
        for cue in cues {
            parts.append(Array("\(cue.start.bitPattern) \(cue.end.bitPattern) \(sources[safe: cue.source]?.language ?? "")\n".utf8))
            parts.append(Array(cue.text.utf8))
        }
        return Fingerprint.bytes(parts)
    }

    /// The language of a cue (its track's).
    public func language(of cue: SubtitleCue) -> String? { sources[safe: cue.source]?.language }
}

/// Kept in the video record: how many cues, which sidecars were read, and a digest of the text.
public struct SubtitleSummary: Codable, Equatable {
    public var cues: Int
    public var sidecars: [SidecarStamp]
    public var digest: String
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
