import Foundation

/// A video as the index knows it.
public struct VideoRecord: Codable, Equatable {
    public enum Status: String, Codable { case indexed, failed }

    public var id: UInt64
    public var path: String
    public var fingerprint: String
    public var size: UInt64
    /// Modification time, seconds since 1970.
    public var mtime: Double
    public var duration: Double
    public var width: Int
    public var height: Int
    public var codec: String
    public var frameRate: Double
    public var rotation: Int
    public var status: Status
    public var error: String?
    public var segmentIds: [Int64]
    /// The container's creation_time (seconds since 1970) when it had one; absent in records
    /// written before it was kept (their date is then the file's mtime, as for files without one).
    public var recorded: Double?
    /// True once the container was asked for its creation_time (found or not); nil in records
    /// made before dates were kept, which the next `vidsearch index` over them reads once.
    public var dateRead: Bool?
    /// When the video was made, as filters read it: its creation_time, else its file's mtime.
    public var date: Double { recorded ?? mtime }
    /// The precision of the model's products that made its vectors ("f32" or "bf16"); nil in
    /// records made before it was kept, all of which were f32.
    public var precision: String?
    /// `precision`, reading an older record's absence as the f32 it was.
    public var vectorPrecision: String { precision ?? "f32" }
    /// The shot boundaries found at ingest (seconds, ascending; hard cuts and the middles of
    /// fades): no segment straddles one and no moment crosses one. nil where cuts were not looked
    /// for (records made before they were, or with `index --no-cuts`); a default `vidsearch index`
    /// encodes such a video again.
    public var cuts: [Double]?
    /// What the video's subtitles and transcripts hold (the cues themselves are in the
    /// "subtitles" database); nil where they were never read (records made before they were),
    /// which the next `vidsearch index` reads without encoding the video again.
    public var subtitles: SubtitleSummary?

    public init(
        id: UInt64 = 0, path: String, fingerprint: String, size: UInt64, mtime: Double, duration: Double = 0,
        width: Int = 0, height: Int = 0, codec: String = "", frameRate: Double = 0, rotation: Int = 0,
        status: Status = .indexed, error: String? = nil, segmentIds: [Int64] = [], recorded: Double? = nil,
        dateRead: Bool? = nil, precision: String? = nil, cuts: [Double]? = nil,
        subtitles: SubtitleSummary? = nil
    ) {
        self.subtitles = subtitles
        self.precision = precision
        self.cuts = cuts
        self.recorded = recorded
        self.dateRead = dateRead
        self.id = id
        self.path = path
        self.fingerprint = fingerprint
        self.size = size
        self.mtime = mtime
        self.duration = duration
        self.width = width
        self.height = height
        self.codec = codec
        self.frameRate = frameRate
        self.rotation = rotation
        self.status = status
        self.error = error
        self.segmentIds = segmentIds
    }
}

/// One segment: its place in a video, and what the model made of it.
public struct SegmentRecord: Equatable {
    public var id: Int64
    public var videoId: UInt64
    public var start: Double
    public var end: Double
    public var frameTimes: [Double]

    public init(id: Int64 = 0, videoId: UInt64 = 0, start: Double, end: Double, frameTimes: [Double]) {
        self.id = id
        self.videoId = videoId
        self.start = start
        self.end = end
        self.frameTimes = frameTimes
    }

    /// Binary layout: videoId u64, start f64, end f64, count u32, times f64... (little endian).
    func encoded() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(28 + 8 * frameTimes.count)
        out += withUnsafeBytes(of: videoId.littleEndian, Array.init)
        out += withUnsafeBytes(of: start.bitPattern.littleEndian, Array.init)
        out += withUnsafeBytes(of: end.bitPattern.littleEndian, Array.init)
        out += withUnsafeBytes(of: UInt32(frameTimes.count).littleEndian, Array.init)
        for t in frameTimes { out += withUnsafeBytes(of: t.bitPattern.littleEndian, Array.init) }
        return out
    }

    init?(id: Int64, encoded bytes: [UInt8]) {
        guard bytes.count >= 28 else { return nil }
        let count = Int(bytes.loadLE(UInt32.self, at: 24))
        guard bytes.count == 28 + 8 * count else { return nil }
        self.id = id
        videoId = bytes.loadLE(UInt64.self, at: 0)
        start = Double(bitPattern: bytes.loadLE(UInt64.self, at: 8))
        end = Double(bitPattern: bytes.loadLE(UInt64.self, at: 16))
        frameTimes = (0..<count).map { Double(bitPattern: bytes.loadLE(UInt64.self, at: 28 + 8 * $0)) }
    }
}

/// What ingest hands the index for one segment.
public struct EncodedSegment {
    public var segment: SegmentRecord
    /// The video embedding (not normalized), `dimension` floats.
    public var embedding: [Float]
    /// The prompt tokens, tokens x dimension floats.
    public var promptTokens: [Float]
    /// A small JPEG of the middle frame.
    public var thumbnail: [UInt8]

    public init(segment: SegmentRecord, embedding: [Float], promptTokens: [Float], thumbnail: [UInt8]) {
        self.segment = segment
        self.embedding = embedding
        self.promptTokens = promptTokens
        self.thumbnail = thumbnail
    }
}

extension Array where Element == UInt8 {
    func loadLE<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

/// Keys: ids big-endian so LMDB's byte order is numeric order.
enum Key {
    static func id<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func decodeId<T: FixedWidthInteger>(_ bytes: [UInt8], as type: T.Type) -> T? {
        guard bytes.count == MemoryLayout<T>.size else { return nil }
        return bytes.withUnsafeBytes { T(bigEndian: $0.loadUnaligned(as: T.self)) }
    }
    static func text(_ value: String) -> [UInt8] { Array(value.utf8) }

    /// The key of a path in "paths". LMDB keys end at 511 bytes, and a longer path once aborted a
    /// whole run; such a path is keyed by a 128-bit hash of it instead (behind a NUL, which no
    /// path holds), the full path staying in its video record. Shorter paths keep their text key,
    /// so existing indexes read unchanged.
    static let longPathBytes = 400

    static func path(_ value: String) -> [UInt8] {
        let bytes = Array(value.utf8)
        guard bytes.count > longPathBytes else { return bytes }
        return Array("\u{0}path-hash:".utf8) + Array(Fingerprint.bytes([bytes]).utf8)
    }
}
