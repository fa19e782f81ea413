import Foundation
import Query
import Tensor
import VideoIndex
import XCLIP
import XCTest

/// A path filter costs no recall: the only matching segments rank far below the unfiltered
/// top 100, and a filtered search still returns all of them, best first.
final class PathFilterTests: XCTestCase {
    func testMatchingSegmentsBelowTheUnfilteredTop100AreStillFound() throws {
        let (model, _, _, store) = try RankingTests.fixtureIndex(self)
        let engine0 = try SearchEngine(model: model, tokenizer: try CLIPTokenizer(directory: RankingTests.vocabulary), store: store)
        let tokens = try engine0.tokens("a red circle")
        let text = VectorCache.normalized(try model.encodeText(tokens))
        var rng = SeededRandom(seed: 5)
        func segment(_ i: Int, toward sign: Float) -> EncodedSegment {
            let vector = text.map { sign * $0 + 0.05 * rng.uniform(1) }
            return EncodedSegment(
                segment: SegmentRecord(start: Double(i) * 4, end: Double(i) * 4 + 4, frameTimes: [Double(i) * 4 + 2]),
                embedding: vector, promptTokens: [], thumbnail: [])
        }
        // 1,500 segments close to the query in /near, 12 pointing away from it in /far/kept.
        for v in 0..<15 {
            try store.put(
                video: VideoRecord(path: "/near/v\(v).mp4", fingerprint: "n\(v)", size: 1, mtime: 0),
                segments: (0..<100).map { segment($0, toward: 1) })
        }
        for v in 0..<3 {
            try store.put(
                video: VideoRecord(path: "/far/kept/w\(v).mp4", fingerprint: "f\(v)", size: 1, mtime: 0),
                segments: (0..<4).map { segment($0, toward: -1) })
        }
        let engine = try SearchEngine(model: model, tokenizer: try CLIPTokenizer(directory: RankingTests.vocabulary), store: store)
        let unfiltered = try engine.search(tokens: tokens, options: SearchOptions(k: 100, candidates: 100, rerank: false))
        XCTAssertFalse(unfiltered.contains { $0.path.hasPrefix("/far/") }, "the far segments are not in the top 100")

        for pattern in ["/far/kept", "/far", "*/kept/w?.mp4"] {
            let filtered = try engine.search(
                tokens: tokens, options: SearchOptions(k: 20, candidates: 100, rerank: false, paths: PathFilter(pattern)))
            XCTAssertEqual(filtered.count, 12, pattern)
            XCTAssertTrue(filtered.allSatisfy { $0.path.hasPrefix("/far/kept/") }, pattern)
            let scores = filtered.map { $0.score }
            XCTAssertEqual(scores, scores.sorted(by: >), pattern)
        }
        XCTAssertTrue(try engine.search(tokens: tokens, options: SearchOptions(paths: PathFilter("/nowhere"))).isEmpty)
        XCTAssertFalse(PathFilter("/far/kep").matches("/far/kept/w0.mp4"), "a folder prefix matches whole names")
    }
}
