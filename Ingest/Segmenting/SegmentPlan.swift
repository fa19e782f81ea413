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
    }

    public static let defaultLength = 4.0
    public static let defaultStride = 4.0

    public let segments: [Segment]

    public init(duration: Double, length: Double = defaultLength, stride: Double = defaultStride, frames: Int) {
        precondition(length > 0 && stride > 0 && frames > 0, "segment length, stride and frames must be positive")
        func segment(_ start: Double, _ end: Double) -> Segment {
            let step = (end - start) / Double(frames)
            return Segment(start: start, end: end, frameTimes: (0..<frames).map { start + (Double($0) + 0.5) * step })
        }
        let duration = max(duration, 0)
        guard duration > length else {
            segments = [segment(0, duration)]
            return
        }
        var result: [Segment] = []
        var start = 0.0
        while start + length <= duration + 1e-9 {
            result.append(segment(start, start + length))
            start += stride
        }
        if let last = result.last, last.end < duration - 1e-6 {
            if duration - last.end < stride / 2 {
                result[result.count - 1] = segment(last.start, duration)
            } else {
                result.append(segment(duration - length, duration))
            }
        }
        segments = result
    }

    /// Every sampled time of every segment, ascending, without repeats.
    public var allFrameTimes: [Double] {
        Array(Set(segments.flatMap(\.frameTimes))).sorted()
    }
}
