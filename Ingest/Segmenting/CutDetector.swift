/// Finds where one shot ends and the next begins, from the look of each decoded frame
/// (LumaSignature) as the video is decoded: no second pass, no frames kept.
///
/// - A **hard cut** is a frame that differs from the one before, in brightness and colour, by at
///   least `hardMinimum`, at least `hardRatio` times as much as its neighbours do on both sides (so
///   a fast pan or shaking camera, which changes every frame alike, is no cut), and the most of its
///   two neighbours.
///   A **flash** (a few bright or odd frames, then the same shot again) is no cut: a look from
///   just before the change that comes back within `flashWindow` after it rejects it.
/// - A **fade** (a cross-fade, or a fade through black) changes each frame a little. Over a span of
///   `fadeSpan` the two ends differ by at least `fadeMinimum` while the middle frame is the mean of
///   the two ends (a fade mixes pixels linearly; in a pan the middle is no such mix). The fade's
///   cut is the middle of the best-fitting span. A change of exposure (the same picture scaled a
///   little brighter or darker) mixes linearly too, and is no fade.
///
/// A cut is known `delay` seconds after its time at the latest; `add` returns cuts in time order
/// once nothing earlier can turn up, so a caller can plan around them while decoding goes on.
/// Thresholds were set on generated edits (`vidsearch bench cuts` measures them; BENCHMARKS.md).
public struct CutDetector {
    public struct Cut: Equatable {
        public enum Kind: String { case hard, fade }
        /// The first frame of the new shot (hard), or the middle of the fade.
        public let time: Double
        public let kind: Kind
    }

    static let hardMinimum: Float = 0.3
    static let hardRatio: Float = 3
    static let neighbours = 4
    static let flashWindow = 0.5
    static let fadeSpan = 1.0
    static let fadeMinimum: Float = 0.35
    static let fadeLinearity: Float = 0.25
    /// A span whose end is its start scaled by a gain within this factor of 1, leaving under
    /// `exposureResidual` of the change unexplained, is a change of exposure, not a fade. On
    /// generated edits and footage with drifting exposure: a drift of 12% each way left 0.05-0.55
    /// and gains of 0.8-1.25, cross-fades about 1.0, and a fade through black's gain is far from 1.
    static let exposureGain: Float = 1.5
    static let exposureResidual: Float = 0.6
    /// Two cuts closer than this are one transition (a quick dissolve seen as both kinds, or a fade
    /// through black seen at its drop and its middle); ShotSegmenter keeps no shorter shot anyway.
    static let minimumGap = 1.0
    /// How long after its time a cut may still be reported.
    public static let delay = fadeSpan + flashWindow + 0.25

    private struct Seen {
        let time: Double
        let luma: LumaSignature
        /// Difference from the frame before; nil for the first frame after a start or a jump.
        let score: Float?
    }

    /// The frames of the last few seconds since the last jump, in time order.
    private var frames: [Seen] = []
    /// Frames before this index of `frames` have had their hard-cut test.
    private var nextHard = 0
    /// The fade being followed: its best span's middle and how well it fits (lower is better).
    private var fade: (middle: Double, fit: Float)?
    private var found: [Cut] = []
    private var lastReported = -Double.infinity
    /// Cuts reported later lie after this time.
    public private(set) var settled = -Double.infinity

    public init() {}

    /// One decoded frame, in presentation order; returns the cuts now settled.
    public mutating func add(time: Double, luma: LumaSignature) -> [Cut] {
        let score = frames.last.map { luma.differenceWithColour($0.luma) }
        frames.append(Seen(time: time, luma: luma, score: score))
        testFade(at: frames.count - 1)
        while nextHard < frames.count, canTestHard(nextHard) {
            testHard(nextHard, lookahead: true)
            nextHard += 1
        }
        // Keep what the tests still look back on.
        let keepFrom = frames.firstIndex { $0.time >= time - Self.fadeSpan - Self.flashWindow - 0.1 } ?? 0
        let drop = min(keepFrom, max(0, nextHard - Self.neighbours - 1))
        if drop > 0 {
            frames.removeFirst(drop)
            nextHard -= drop
        }
        return release(upTo: time - Self.delay)
    }

    /// The next frame does not follow the last one (a seek): no cut is looked for across it.
    public mutating func jump() {
        flush()
        frames = []
        nextHard = 0
    }

    /// The end of the video: every cut not yet returned.
    public mutating func finish() -> [Cut] {
        flush()
        frames = []
        nextHard = 0
        return release(upTo: .infinity)
    }

    private mutating func flush() {
        while nextHard < frames.count {
            testHard(nextHard, lookahead: false)
            nextHard += 1
        }
        endFade()
    }

    private mutating func release(upTo time: Double) -> [Cut] {
        settled = max(settled, time)
        found.sort { $0.time < $1.time }
        var out: [Cut] = []
        while let first = found.first, first.time <= time {
            found.removeFirst()
            if first.time - lastReported < Self.minimumGap { continue }
            lastReported = first.time
            out.append(first)
        }
        return out
    }

    private func canTestHard(_ i: Int) -> Bool {
        frames.count - 1 - i >= Self.neighbours && frames[frames.count - 1].time >= frames[i].time + Self.flashWindow
    }

    private mutating func testHard(_ i: Int, lookahead: Bool) {
        guard let score = frames[i].score, score >= Self.hardMinimum else { return }
        // The most of its neighbours, and well above what they change by.
        var sum: Float = 0, count = 0
        for j in max(0, i - Self.neighbours)...min(frames.count - 1, i + Self.neighbours) where j != i {
            guard let s = frames[j].score else { continue }
            if abs(j - i) == 1 && s > score { return }
            sum += s
            count += 1
        }
        if count > 0 && score < Self.hardRatio * sum / Float(count) { return }
        // A flash: a look from just before the change returns just after it.
        let t = frames[i].time
        for a in stride(from: i - 1, through: 0, by: -1) where frames[a].time >= t - Self.flashWindow {
            for b in i..<frames.count where frames[b].time <= t + Self.flashWindow {
                if a == i - 1 && b == i { continue }
                if frames[a].luma.differenceWithColour(frames[b].luma) < 0.4 * score { return }
            }
        }
        found.append(Cut(time: t, kind: .hard))
    }

    /// Whether the span ending at frame `i` is the fade's kind, and how well its middle fits.
    private mutating func testFade(at i: Int) {
        let end = frames[i]
        guard let a = frames.lastIndex(where: { $0.time <= end.time - Self.fadeSpan + 1e-9 }),
            let m = frames.lastIndex(where: { $0.time <= end.time - Self.fadeSpan / 2 + 1e-9 }), m > a, m < i
        else {
            endFade()
            return
        }
        let first = frames[a].luma, middle = frames[m].luma
        let apart = first.gridDistance(end.luma)
        // No hard cut inside the span: one frame carrying most of the change is a cut, not a fade.
        // Judged on the grid (where things are), since a fade over smooth gradients moves whole
        // histograms across bin edges from one frame to the next.
        let whole = frames[a].luma.gridDistance(end.luma)
        let steep = ((a + 1)...i).contains { frames[$0].luma.gridDistance(frames[$0 - 1].luma) >= 0.5 * whole }
        guard !steep, first.difference(end.luma) >= Self.fadeMinimum, apart > 0.02 else {
            endFade()
            return
        }
        let fit = middle.gridDistance(toMeanOf: first, end.luma) / apart
        guard fit <= Self.fadeLinearity, !isExposureChange(from: first, to: end.luma, apart: apart) else {
            endFade()
            return
        }
        let centre = (frames[a].time + end.time) / 2
        if fade == nil || fit < fade!.fit { fade = (centre, fit) }
    }

    /// The same picture made brighter or darker, by less than a fade through black does within a
    /// span: a camera's exposure, which in a dull picture moves the histogram as far as a fade.
    private func isExposureChange(from first: LumaSignature, to end: LumaSignature, apart: Float) -> Bool {
        guard let (gain, residual) = first.exposure(to: end) else { return false }
        return gain >= 1 / Self.exposureGain && gain <= Self.exposureGain && residual <= Self.exposureResidual * apart
    }

    private mutating func endFade() {
        if let fade { found.append(Cut(time: fade.middle, kind: .fade)) }
        fade = nil
    }
}
