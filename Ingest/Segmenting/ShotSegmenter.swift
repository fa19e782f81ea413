/// Segments that never straddle a cut, planned while the video is decoded (SegmentSource with
/// cut detection on; SegmentPlan is the fixed plan without it).
///
/// Frames are sampled on a grid of `length / frames` seconds from the start of the current shot;
/// a window takes, for each of its `frames` sub-window middles, the nearest sample inside it.
/// Each shot is planned as SegmentPlan plans a whole video: windows of `length` every `stride`
/// while they fit, then one window flush with the shot's end (or, for a tail under half a stride,
/// the last window stretched to the end); a shot shorter than `length` is one shorter window. So a
/// video without cuts gets exactly the fixed plan's windows, and every window of a long shot has
/// `frames` distinct frames. When a cut comes:
/// - a cut less than `minimumLength` after the shot's start is no boundary (a flash that got
///   through, or two reports of one transition), so no segment is a sliver;
/// - the next shot's grid starts at the cut. A cut is found a little after its time
///   (CutDetector.delay): samples already taken past it serve the next shot's first window.
/// A full window is handed out once no cut can change it: none before its end plus half a stride.
struct ShotSegmenter<Sample> {
    struct Window {
        let start: Double
        let end: Double
        /// One per frame, in time order (a short window repeats samples).
        let samples: [Sample]
    }

    let length: Double
    let stride: Double
    let frames: Int
    let minimumLength: Double
    private var step: Double { length / Double(frames) }

    /// The boundaries kept, in time order.
    private(set) var cuts: [Double] = []
    private var shotStart = 0.0
    /// The first window of the current shot not yet handed out.
    private var nextWindow = 0
    private var gridIndex = 0
    private var held: [(time: Double, sample: Sample)] = []

    init(length: Double, stride: Double, frames: Int, minimumLength: Double) {
        precondition(length > 0 && stride > 0 && frames > 0 && minimumLength > 0, "positive segment options")
        self.length = length
        self.stride = stride
        self.frames = frames
        self.minimumLength = minimumLength
    }

    /// When the next sample is wanted.
    var nextTime: Double { shotStart + (Double(gridIndex) + 0.5) * step }

    /// The next `count` sample times, as long as no cut comes (a cut found meanwhile keeps the
    /// samples taken past it for the next shot).
    func upcomingTimes(_ count: Int) -> [Double] {
        (0..<count).map { shotStart + (Double(gridIndex + $0) + 0.5) * step }
    }

    /// The sample for `nextTime`.
    mutating func add(_ sample: Sample) {
        held.append((nextTime, sample))
        gridIndex += 1
    }

    /// A cut at `time` (in time order, after every time `settle` was given): the windows it completes.
    mutating func cut(at time: Double) -> [Window] {
        guard time - shotStart >= minimumLength else { return [] }
        let done = close(at: time)
        cuts.append(time)
        shotStart = time
        nextWindow = 0
        let last = held.last?.time ?? -Double.infinity
        gridIndex = max(0, Int(((last - time) / step - 0.5).rounded(.down)) + 1)
        while nextTime <= last + 1e-9 { gridIndex += 1 }
        held.removeAll { $0.time < shotStart }
        return done
    }

    /// No cut will come before `time`: the full windows now safe to hand out.
    mutating func settle(upTo time: Double) -> [Window] {
        var done: [Window] = []
        while start(nextWindow) + length + stride / 2 <= time, let window = window(start(nextWindow), start(nextWindow) + length) {
            done.append(window)
            nextWindow += 1
            // A window flush with the shot's end may reach back a window's length.
            let from = start(nextWindow) - length
            held.removeAll { $0.time < from }
        }
        return done
    }

    /// The video ends at `end`: the windows left.
    mutating func finish(end: Double) -> [Window] {
        close(at: end)
    }

    private func start(_ k: Int) -> Double { shotStart + Double(k) * stride }

    /// The current shot ends at `end`: its windows not yet handed out, planned as SegmentPlan
    /// plans a video.
    private mutating func close(at end: Double) -> [Window] {
        guard end - shotStart >= length + 1e-9 else {
            // A shot no longer than one window is one window.
            return nextWindow == 0 ? [window(shotStart, end)].compactMap { $0 } : []
        }
        var spans: [(start: Double, end: Double)] = []
        var k = nextWindow
        while start(k) + length <= end + 1e-9 {
            spans.append((start(k), start(k) + length))
            k += 1
        }
        let lastEnd = start(k - 1) + length
        if lastEnd < end - 1e-6 {
            if end - lastEnd < stride / 2, !spans.isEmpty {
                // The last full window stretches to the end (settle never hands out a window that a
                // cut could still stretch).
                spans[spans.count - 1].end = end
            } else {
                spans.append((end - length, end))
            }
        }
        return spans.compactMap { window($0.start, $0.end) }
    }

    /// The window's samples: the nearest inside it to each sub-window middle (nil without any).
    private func window(_ start: Double, _ end: Double) -> Window? {
        let inside = held.filter { $0.time >= start - 1e-9 && $0.time < end - 1e-9 }
        let pool = inside.isEmpty ? held : inside
        guard !pool.isEmpty else { return nil }
        let width = (end - start) / Double(frames)
        let chosen = (0..<frames).map { q -> Sample in
            let ideal = start + (Double(q) + 0.5) * width
            return pool.min { abs($0.time - ideal) < abs($1.time - ideal) }!.sample
        }
        return Window(start: start, end: end, samples: chosen)
    }
}
