import XCTest

@testable import Ingest

/// Segments planned around cuts: no window straddles one, a short shot is one shorter window, a
/// sliver is never a segment, and without cuts the windows are the fixed plan's.
final class ShotSegmenterTests: XCTestCase {
    /// Feeds a segmenter samples (their own times) up to `duration`, reporting each cut once the
    /// samples have passed it by `delay` (as the detector does), settling as the decoder goes.
    private func plan(
        duration: Double, cuts: [Double], length: Double = 4, stride: Double = 4, frames: Int = 8,
        minimumLength: Double = 1, delay: Double = 1.75
    ) -> (windows: [ShotSegmenter<Double>.Window], kept: [Double]) {
        var segmenter = ShotSegmenter<Double>(length: length, stride: stride, frames: frames, minimumLength: minimumLength)
        var windows: [ShotSegmenter<Double>.Window] = []
        var pending = cuts
        while segmenter.nextTime < duration {
            let t = segmenter.nextTime
            segmenter.add(t)
            while let cut = pending.first, cut <= t - delay {
                windows += segmenter.cut(at: cut)
                pending.removeFirst()
            }
            windows += segmenter.settle(upTo: t - delay)
        }
        for cut in pending { windows += segmenter.cut(at: cut) }
        windows += segmenter.finish(end: duration)
        return (windows, segmenter.cuts)
    }

    func testWithoutCutsTheWindowsAreTheFixedPlans() {
        for duration in [16, 10, 9, 17.9, 4.004, 4, 2.5] {
            let (windows, kept) = plan(duration: duration, cuts: [])
            XCTAssertEqual(kept, [])
            let fixed = SegmentPlan(duration: duration, frames: 8)
            XCTAssertEqual(windows.map { [$0.start, $0.end] }, fixed.segments.map { [$0.start, $0.end] }, "\(duration) s")
            // Full windows sample the fixed plan's times exactly (the grid is theirs).
            for (w, s) in zip(windows, fixed.segments) where w.end - w.start == 4 && w.start.truncatingRemainder(dividingBy: 0.5) == 0 {
                XCTAssertEqual(w.samples, s.frameTimes, "\(duration) s, window at \(w.start)")
            }
        }
    }

    func testNoWindowStraddlesACutAndEachShotIsPlannedAsAVideo() {
        let cuts = [5.0, 7.5, 14.2]
        let (windows, kept) = plan(duration: 20, cuts: cuts)
        XCTAssertEqual(kept, cuts)
        for w in windows {
            XCTAssertFalse(cuts.contains { $0 > w.start + 1e-9 && $0 < w.end - 1e-9 }, "\(w.start)-\(w.end) straddles a cut")
            XCTAssertEqual(w.samples.count, 8)
            XCTAssertTrue(w.samples.allSatisfy { $0 >= w.start - 1e-9 && $0 < w.end + 1e-9 }, "samples inside \(w.start)-\(w.end): \(w.samples)")
            // A window of a shot at least as long as a window has distinct frames.
            if w.end - w.start >= 4 - 1e-9 { XCTAssertEqual(Set(w.samples).count, 8, "\(w.start)-\(w.end): \(w.samples)") }
        }
        // 0-5: a 1 s tail stretches the window; 5-7.5: shorter than a window, one window;
        // 7.5-14.2: a full window and one flush with the cut; 14.2-20: a 1.8 s tail stretches it.
        XCTAssertEqual(windows.map { [$0.start, $0.end] }, [[0, 5], [5, 7.5], [7.5, 11.5], [10.2, 14.2], [14.2, 20]])
    }

    func testASliverIsNoSegment() {
        // A cut 0.4 s into a shot (under the minimum) is no boundary.
        let (windows, kept) = plan(duration: 12, cuts: [4.0, 4.4, 8.5])
        XCTAssertEqual(kept, [4.0, 8.5])
        XCTAssertEqual(windows.map { [$0.start, $0.end] }, [[0, 4], [4, 8.5], [8.5, 12]])
    }

    func testOverlappingWindowsStopAtTheCut() {
        let (windows, _) = plan(duration: 12, cuts: [6.0], stride: 2)
        XCTAssertEqual(windows.map { [$0.start, $0.end] }, [[0, 4], [2, 6], [6, 10], [8, 12]])
        XCTAssertFalse(windows.contains { $0.start < 6 && $0.end > 6 })
    }
}
