import VideoIndex
import XCTest

@testable import Query

/// Reciprocal rank fusion: ranks, not scores; a segment both lists hold ranks above one either
/// holds alone (within the documented bound); no speech hit leaves the visual list as it was.
final class RankFusionTests: XCTestCase {
    func hit(_ segment: Int64, _ score: Float) -> SearchResult {
        SearchResult(
            path: "/v/\(segment / 10).mp4", videoId: UInt64(segment / 10), segmentId: segment, start: 0, end: 4, score: score, thumbnail: nil)
    }

    func testFusedByRankWithWhyEachMatched() {
        let visual = (1...100).map { hit(Int64($0), 1 - Float($0) / 200) }
        var spoken = [hit(38, 12.5), hit(500, 11), hit(100, 3)]  // 38 and 100 in both lists, 500 spoken only
        spoken = spoken.map {
            var h = $0
            h.speech = SpeechMatch(
                CueHit(
                    videoId: 0, cue: 0, start: 1, end: 2, language: nil, segments: [$0.segmentId],
                    text: "x", parts: ["", "x", ""], relevance: Double($0.score)))
            return h
        }
        let fused = RankFusion.fuse(visual: visual, speech: spoken)
        XCTAssertEqual(fused.count, 101)
        XCTAssertEqual(
            fused.prefix(3).map(\.segmentId), [38, 100, 1],
            "both lists beat the visual first; spoken rank 3 and visual rank 100 still beat visual rank 1")
        XCTAssertEqual(fused[0].score, 1 / 98 + 1 / 61, accuracy: 1e-7)
        XCTAssertEqual(fused[0].signals, ["visual", "speech"])
        XCTAssertEqual(fused[0].visualScore, 1 - 38 / 200)
        let spokenOnly = fused.first { $0.segmentId == 500 }!
        XCTAssertEqual(spokenOnly.signals, ["speech"])
        XCTAssertNil(spokenOnly.visualScore)
        XCTAssertEqual(spokenOnly.score, 1 / 62, accuracy: 1e-7)
        // Every fused score is finite and the order is by score, then segment id.
        XCTAssertTrue(fused.allSatisfy { $0.score.isFinite && $0.score > 0 })
        XCTAssertTrue(zip(fused, fused.dropFirst()).allSatisfy { ($0.score, -$0.segmentId) > ($1.score, -$1.segmentId) })
    }

    func testWithoutSpeechHitsTheVisualListIsUnchanged() {
        let visual = [hit(1, 0.3), hit(2, 0.2)]
        XCTAssertEqual(RankFusion.fuse(visual: visual, speech: []), visual)
        XCTAssertEqual(RankFusion.fuse(visual: [], speech: []), [])
    }
}
