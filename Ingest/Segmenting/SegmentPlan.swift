/// How a video is cut into segments and which frame times each segment samples.
///
/// Windows are `length` seconds long and start every `stride` seconds (defaults 4 s and 4 s:
/// the official checkpoints saw 8 frames spread over a few seconds of a clip).
/// - A video no longer than one window is one segment covering all of it.
/// - Otherwise windows start at 0, stride, 2*stride, ... while they fit; if the last one ends
///   before the video does, one more window is placed flush with the end (it overlaps the one
///   before), so every moment is covered by a full-length window and no segment is a sliver.
///   Where that window would start less than half a stride after the last one (a 4.004 s video:
///   a second window 4 ms after the first), it would be the same moment twice; the last window
///   is stretched to the end instead (at most half a stride longer).
/// Each segment samples `frames` times: the middle of each of `frames` equal sub-windows,
/// as X-CLIP's single-view test protocol does (TSN-style).
public struct SegmentPlan: Equatable {
    public struct Segment: Equatable {
        public let start: Double
        public let end: Double
        public let frameTimes: [Double]

        public init(start: Double, end: Double, frameTimes: [Double]) {
            (self.start, self.end, self.frameTimes) = (start, end, frameTimes)
        }
    }

    public static let defaultLength = 4.0
    public static let defaultStride = 4.0

    public let segments: [Segment]

    public init(duration: Double, length: Double = defaultLength, stride: Double = defaultStride, frames: Int) {
        segments = Array(Self.windows(duration: duration, length: length, stride: stride, frames: frames))
    }

    /// The same windows one at a time, made as they are asked for: a header's duration is only a
    /// claim (a file saying 10^12 s would otherwise be planned whole before a frame is decoded).
    public static func windows(duration: Double, length: Double = defaultLength, stride: Double = defaultStride, frames: Int) -> Windows {
        precondition(length > 0 && stride > 0 && frames > 0, "segment length, stride and frames must be positive")
        return Windows(duration: max(duration, 0), length: length, stride: stride, frames: frames)
    }

    /// How many windows `windows` makes, counted without making them.
    public static func count(duration: Double, length: Double = defaultLength, stride: Double = defaultStride) -> Int {
        guard duration > length else { return 1 }
        let regular = Int(min(((duration + 1e-9 - length) / stride).rounded(.down), Double(Int.max / 2))) + 1
        let lastEnd = Double(regular - 1) * stride + length
        return regular + (lastEnd < duration - 1e-6 && duration - lastEnd >= stride / 2 ? 1 : 0)
    }

    public struct Windows: Sequence, IteratorProtocol {
        let duration: Double, length: Double, stride: Double, frames: Int
        private var start = 0.0
        private var finished = false

        init(duration: Double, length: Double, stride: Double, frames: Int) {
            (self.duration, self.length, self.stride, self.frames) = (duration, length, stride, frames)
        }

        func segment(_ start: Double, _ end: Double) -> Segment {
            let step = (end - start) / Double(frames)
            return Segment(start: start, end: end, frameTimes: (0..<frames).map { start + (Double($0) + 0.5) * step })
        }

        public mutating func next() -> Segment? {
            guard !finished else { return nil }
            guard duration > length else {
                finished = true
                return segment(0, duration)
            }
            if start + length <= duration + 1e-9 {
                let window = segment(start, start + length)
                start += stride
                guard start + length > duration + 1e-9 else { return window }
                // The last regular window: if it ends before the video does, it is stretched to the
                // end (under half a stride short) or followed by one window flush with the end.
                if window.end < duration - 1e-6 && duration - window.end < stride / 2 {
                    finished = true
                    return segment(window.start, duration)
                }
                if !(window.end < duration - 1e-6) { finished = true }
                return window
            }
            finished = true
            return segment(duration - length, duration)
        }
    }

    /// Every sampled time of every segment, ascending, without repeats.
    public var allFrameTimes: [Double] {
        Array(Set(segments.flatMap(\.frameTimes))).sorted()
    }
}
