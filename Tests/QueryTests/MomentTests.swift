import XCTest

@testable import Query

/// --per-video returns moments: the run around a video's peak within the margin, a second run
/// above it as a second moment, never the whole video.
final class MomentTests: XCTestCase {
    private func hits(_ video: UInt64, _ scores: [Float], length: Double = 4) -> [SearchResult] {
        scores.enumerated().map { i, score in
            SearchResult(
                path: "/v/\(video).mp4", videoId: video, segmentId: Int64(video) * 100 + Int64(i),
                start: Double(i) * length, end: Double(i + 1) * length, score: score, thumbnail: nil)
        }
    }

    func testAMomentIsTheRunAroundThePeakAndASecondRunIsASecondMoment() {
        // Video 1: a strong shot at 8-16 s, a second one at 24-28 s, weak windows elsewhere.
        let one = hits(1, [0.10, 0.12, 0.90, 0.82, 0.11, 0.10, 0.78, 0.09])
        let two = hits(2, [0.10, 0.11, 0.13, 0.12])
        let moments = PerVideoMerge.merge(one + two)
        let first = moments.filter { $0.videoId == 1 }
        XCTAssertEqual(first.map { [$0.start, $0.end] }, [[8, 16], [24, 28]], "\(first)")
        XCTAssertEqual(first.map(\.segmentId), [102, 106], "each moment keeps its peak's segment (its thumbnail)")
        XCTAssertEqual(first.map(\.score), [0.90, 0.78])
        // Video 2 has no peak above the rest: its best run is its moment, not the whole video.
        let second = moments.filter { $0.videoId == 2 }
        XCTAssertEqual(second.count, 1)
        XCTAssertLessThan(second[0].end - second[0].start, 16, "\(second)")
        XCTAssertEqual(moments.first?.segmentId, 102, "best first")
    }

    func testTheMarginFollowsTheQuerysScaleNotTheModels() {
        // The same ranking on a scale a hundred times smaller gives the same moments.
        let scores: [Float] = [0.10, 0.12, 0.90, 0.82, 0.11, 0.10, 0.78, 0.09]
        let big = PerVideoMerge.merge(hits(1, scores) + hits(2, [0.1, 0.1]))
        let small = PerVideoMerge.merge(hits(1, scores.map { $0 / 100 }) + hits(2, [0.001, 0.001]))
        XCTAssertEqual(big.map { [$0.start, $0.end] }, small.map { [$0.start, $0.end] })
    }

    func testAMomentNeverCrossesACut() {
        // Shots 0-6 and 6-12 (segments of 3 s that stop at the cut), both strong: without the
        // cut one run, with it two moments that end and start at the cut.
        let scores: [Float] = [0.1, 0.1, 0.85, 0.9, 0.88, 0.8, 0.1, 0.1]
        let video = hits(1, scores, length: 1.5) + hits(2, [0.1, 0.1])
        let strong = { (m: [SearchResult]) in m.filter { $0.videoId == 1 && $0.score > 0.5 }.map { [$0.start, $0.end] } }
        XCTAssertEqual(strong(PerVideoMerge.merge(video)), [[3, 9]])
        XCTAssertEqual(strong(PerVideoMerge.merge(video, cuts: [1: [6]])), [[3, 6], [6, 9]])
        // Cuts of another video change nothing here; a video without stored cuts is one shot.
        XCTAssertEqual(strong(PerVideoMerge.merge(video, cuts: [2: [6]])), [[3, 9]])
    }

    func testOverlappingWindowsJoinAndAGapInTimeSplits() {
        // Windows of 4 s every 2 s: overlapping windows of one run are one moment.
        var overlapping = hits(1, [0.1, 0.8, 0.9, 0.85, 0.1, 0.1], length: 2)
        for i in overlapping.indices { overlapping[i].end = overlapping[i].start + 4 }
        XCTAssertEqual(PerVideoMerge.merge(overlapping).filter { $0.score > 0.5 }.map { [$0.start, $0.end] }, [[2, 10]])
        // Two strong windows with a segment between them missing from the candidates: two moments.
        let gapped = hits(1, [0.1, 0.9, 0.1, 0.88]).enumerated().filter { $0.offset != 2 }.map(\.element)
        XCTAssertEqual(PerVideoMerge.merge(gapped + hits(2, [0.1, 0.1])).filter { $0.videoId == 1 && $0.score > 0.5 }.count, 2)
        XCTAssertEqual(PerVideoMerge.merge([]), [])
    }
}
