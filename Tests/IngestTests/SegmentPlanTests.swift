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
}
