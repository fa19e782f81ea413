import Foundation
import XCTest

@testable import VideoIndex

/// `verify` certifies crash safety, so each of its LMDB checks is shown to catch its fault: one
/// table at a time is damaged behind the store's back, and the report must name that fault.
final class VerifierTests: XCTestCase {
    private func video(_ txn: LMDBTransaction, _ id: UInt64) throws -> VideoRecord {
        try JSONDecoder().decode(VideoRecord.self, from: Data(try XCTUnwrap(try txn.get(Key.id(id), in: "videos"))))
    }

    private func put(_ txn: LMDBTransaction, _ video: VideoRecord, under id: UInt64) throws {
        try txn.put(Array(try JSONEncoder().encode(video)), for: Key.id(id), in: "videos")
    }

    /// A fresh index of two videos of two segments each, damaged by `damage`, then verified.
    private func problems(after damage: (LMDBTransaction, [VideoRecord]) throws -> Void) throws -> (found: [String], videos: [VideoRecord]) {
        let (store, _) = try IndexStoreTests.store(self, videos: 2, segmentsEach: 2)
        XCTAssertEqual(try Verifier.verify(store).problems, [], "the index is sound before it is damaged")
        let videos = try store.videos().sorted { $0.id < $1.id }
        try store.environment.write { txn in try damage(txn, videos) }
        return (try Verifier.verify(store).problems, videos)
    }

    private func assertFound(_ problems: [String], _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(problems.contains { $0.contains(words) }, "\(words) not in \(problems)", file: file, line: line)
    }

    func testASegmentWhoseVideoIsGoneIsAnOrphan() throws {
        let (found, v) = try problems { txn, videos in
            _ = try txn.delete(Key.id(videos[1].id), in: "videos")
        }
        assertFound(found, "segment \(v[1].segmentIds[0]): belongs to video \(v[1].id), which does not list it")
        assertFound(found, "points to missing video")
    }

    func testAPathThatDoesNotMapBack() throws {
        let (found, v) = try problems { txn, videos in
            try txn.put(Key.id(videos[1].id), for: Key.path(videos[0].path), in: "paths")
        }
        assertFound(found, "video \(v[0].id): path \(v[0].path) does not map back")
    }

    func testASegmentListedByTwoVideos() throws {
        let (found, v) = try problems { txn, videos in
            var second = try video(txn, videos[1].id)
            second.segmentIds.append(videos[0].segmentIds[0])
            try put(txn, second, under: second.id)
        }
        assertFound(found, "segment \(v[0].segmentIds[0]): listed by videos \(v[0].id) and \(v[1].id)")
    }

    func testAnIdNotBelowTheCounter() throws {
        let (found, v) = try problems { txn, videos in
            var moved = try video(txn, videos[1].id)
            _ = try txn.delete(Key.id(moved.id), in: "videos")
            moved.id = 1_000
            try put(txn, moved, under: 1_000)
            try txn.put(Key.id(UInt64(1_000)), for: Key.path(moved.path), in: "paths")
        }
        assertFound(found, "video 1000: id not below the counter")
        _ = v
    }

    func testASegmentListedButMissing() throws {
        let (found, v) = try problems { txn, videos in
            _ = try txn.delete(Key.id(videos[0].segmentIds[1]), in: "segments")
        }
        assertFound(found, "segment \(v[0].segmentIds[1]): listed by video \(v[0].id) but missing")
        assertFound(found, "orphan record for missing segment \(v[0].segmentIds[1])")
    }
}
