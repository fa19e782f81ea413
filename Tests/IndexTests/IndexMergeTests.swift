import Foundation
import XCTest

@testable import VideoIndex

/// A merge reports each video once it is in: a video whose write fails is not reported (a
/// deferred report once called it `added`, and `merge --json` printed so).
final class IndexMergeTests: XCTestCase {
    func testAVideoThatFailsIsNotReportedAdded() throws {
        let (shard, _) = try IndexStoreTests.store(self, videos: 2, segmentsEach: 2)
        // The second video's first segment record is lost: its merge throws "corrupt".
        let broken = try XCTUnwrap(try shard.video(path: "/v/1.mp4"))
        try shard.environment.write { _ = try $0.delete(Key.id(broken.segmentIds[0]), in: "segments") }
        let (target, _) = try IndexStoreTests.store(self)
        var reported: [IndexMerge.Result] = []
        XCTAssertThrowsError(try IndexMerge(into: target).merge(shard) { reported.append($0) }) { error in
            XCTAssertTrue("\(error)".contains("/v/1.mp4"), "\(error)")
        }
        XCTAssertEqual(reported.map(\.path), ["/v/0.mp4"])
        XCTAssertEqual(reported.map(\.outcome), [.added])
        XCTAssertNil(try target.video(path: "/v/1.mp4"), "nothing of the failed video was written")
    }
}
