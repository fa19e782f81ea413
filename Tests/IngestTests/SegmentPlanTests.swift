import Ingest
import XCTest

final class SegmentPlanTests: XCTestCase {
    func testShortVideoIsOneSegment() {
        let plan = SegmentPlan(duration: 2.5, frames: 8)
        XCTAssertEqual(plan.segments.count, 1)
        XCTAssertEqual(plan.segments[0].start, 0)
        XCTAssertEqual(plan.segments[0].end, 2.5)
        XCTAssertEqual(plan.segments[0].frameTimes.first!, 2.5 / 16, accuracy: 1e-12)
        XCTAssertEqual(plan.segments[0].frameTimes.last!, 2.5 - 2.5 / 16, accuracy: 1e-12)
    }

    func testWindowsAndTheTailFlushWithTheEnd() {
        let plan = SegmentPlan(duration: 10, length: 4, stride: 4, frames: 4)
        XCTAssertEqual(plan.segments.map(\.start), [0, 4, 6])
        XCTAssertEqual(plan.segments.map(\.end), [4, 8, 10])
        XCTAssertEqual(plan.segments[1].frameTimes, [4.5, 5.5, 6.5, 7.5])
        // Exactly two windows: no extra tail.
        XCTAssertEqual(SegmentPlan(duration: 8, length: 4, stride: 4, frames: 4).segments.map(\.start), [0, 4])
        // Overlapping windows with a stride shorter than the length.
        XCTAssertEqual(SegmentPlan(duration: 7, length: 4, stride: 2, frames: 4).segments.map(\.start), [0, 2, 3])
    }

    /// A tail shorter than half a stride stretches the last window: no near-duplicate segment.
    func testShortTailStretchesTheLastWindow() {
        let plan = SegmentPlan(duration: 4.004, length: 4, stride: 4, frames: 8)
        XCTAssertEqual(plan.segments.map(\.start), [0])
        XCTAssertEqual(plan.segments.map(\.end), [4.004])
        XCTAssertEqual(SegmentPlan(duration: 9.5, length: 4, stride: 4, frames: 4).segments.map(\.end), [4, 9.5])
        XCTAssertEqual(SegmentPlan(duration: 10.1, length: 4, stride: 4, frames: 4).segments.map(\.start), [0, 4, 6.1])
    }

    func testAllFrameTimesAreSortedAndUnique() {
        let plan = SegmentPlan(duration: 9, length: 4, stride: 2, frames: 8)
        let times = plan.allFrameTimes
        XCTAssertEqual(times, times.sorted())
        XCTAssertEqual(Set(times).count, times.count)
    }

    /// Windows made one at a time are the plan's, window for window, and the count made without
    /// them is theirs; a header claiming 10^12 s costs nothing until decoding reaches it.
    func testWindowsAreMadeAsTheyAreAskedFor() {
        for duration in [0.0, 0.04, 3.9, 4, 4.004, 5, 7, 8, 9.5, 10, 11.99, 12, 100.25, 3601] {
            for (length, stride) in [(4.0, 4.0), (4, 2), (2, 3), (4, 0.5), (1, 1)] {
                let planned = SegmentPlan(duration: duration, length: length, stride: stride, frames: 4).segments
                XCTAssertEqual(
                    planned, Self.planWrittenOut(duration: duration, length: length, stride: stride, frames: 4), "\(duration) \(length) \(stride)")
                XCTAssertEqual(
                    SegmentPlan.count(duration: duration, length: length, stride: stride), planned.count, "\(duration) \(length) \(stride)")
            }
        }
        var claimed = SegmentPlan.windows(duration: 1e12, frames: 8)
        XCTAssertEqual(claimed.next()?.start, 0)
        XCTAssertEqual(claimed.next()?.start, 4)
        XCTAssertEqual(SegmentPlan.count(duration: 1e12), 250_000_000_000)
    }

    /// The plan as a loop over the whole duration, as SegmentPlan was first written.
    static func planWrittenOut(duration: Double, length: Double, stride: Double, frames: Int) -> [SegmentPlan.Segment] {
        func segment(_ start: Double, _ end: Double) -> SegmentPlan.Segment {
            let step = (end - start) / Double(frames)
            return SegmentPlan.Segment(start: start, end: end, frameTimes: (0..<frames).map { start + (Double($0) + 0.5) * step })
        }
        guard duration > length else { return [segment(0, max(duration, 0))] }
        var result: [SegmentPlan.Segment] = []
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
        return result
    }
}
