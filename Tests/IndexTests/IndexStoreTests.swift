import Foundation
import Tensor
import VideoIndex
import XCTest

final class IndexStoreTests: XCTestCase {
    static let model = ModelIdentity(name: "test", fingerprint: "abc123", dimension: 8, promptTokens: 3)

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString)")
        addTeardownBlock { [directory] in try? FileManager.default.removeItem(at: directory!) }
    }

    static func segments(_ count: Int, seed: UInt64) -> [EncodedSegment] {
        var rng = SeededRandom(seed: seed)
        var result: [EncodedSegment] = []
        for i in 0..<count {
            let start = Double(i) * 4
            let record = SegmentRecord(start: start, end: start + 4, frameTimes: [start + 1, start + 3])
            var embedding: [Float] = []
            for _ in 0..<8 { embedding.append(rng.uniform()) }
            var prompts: [Float] = []
            for _ in 0..<24 { prompts.append(rng.uniform(3)) }
            result.append(EncodedSegment(segment: record, embedding: embedding, promptTokens: prompts, thumbnail: [0xFF, 0xD8, UInt8(i)]))
        }
        return result
    }

    /// A fresh index (removed when `test` ends) holding `videos` videos "/v/<n>.mp4" of
    /// `segmentsEach` segments, with the FAISS type forced to `factory` when given.
    static func store(_ test: XCTestCase, factory: String? = nil, videos: Int = 0, segmentsEach: Int = 1) throws -> (IndexStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString)")
        test.addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let store = try IndexStore(writingAt: directory, model: model, faissFactory: factory)
        for v in 0..<videos {
            try store.put(
                video: VideoRecord(path: "/v/\(v).mp4", fingerprint: "f\(v)", size: 1, mtime: 0),
                segments: segments(segmentsEach, seed: UInt64(v)))
        }
        return (store, directory)
    }

    func video(_ path: String, fingerprint: String) -> VideoRecord {
        VideoRecord(path: path, fingerprint: fingerprint, size: 100, mtime: 1, duration: 8)
    }

    func testPutReadReplaceMoveRemoveAndVerify() throws {
        let store = try IndexStore(writingAt: directory, model: Self.model)
        let a = try store.put(video: video("/v/a.mp4", fingerprint: "fa"), segments: Self.segments(2, seed: 1))
        let b = try store.put(video: video("/v/b.mp4", fingerprint: "fb"), segments: Self.segments(3, seed: 2))
        XCTAssertEqual(try store.counts().segments, 5)
        XCTAssertEqual(try store.video(path: "/v/a.mp4")?.segmentIds, a.segmentIds)
        XCTAssertEqual(try store.video(fingerprint: "fb")?.id, b.id)
        let seg = try XCTUnwrap(try store.segment(id: b.segmentIds[1]))
        XCTAssertEqual(seg.start, 4)
        XCTAssertEqual(seg.frameTimes, [5, 7])
        XCTAssertEqual(try store.embedding(segment: b.segmentIds[1]), Self.segments(3, seed: 2)[1].embedding)
        XCTAssertEqual(try store.thumbnail(segment: b.segmentIds[2]), [0xFF, 0xD8, 2])

        // Prompt tokens round trip within the 8-bit codec's error (half a step of each token's scale).
        var tokens = [Float](repeating: 0, count: 24)
        XCTAssertEqual(try store.rerankInputs([b.segmentIds[0]], tokens: &tokens).first??.prompted, true)
        let original = Self.segments(3, seed: 2)[0].promptTokens
        for t in 0..<3 {
            let peak = original[(t * 8)..<(t * 8 + 8)].map(abs).max()!
            for i in 0..<8 { XCTAssertEqual(tokens[t * 8 + i], original[t * 8 + i], accuracy: peak / 127 / 2 + 1e-6) }
        }

        // Re-indexing a path replaces its segments in the same transaction.
        let a2 = try store.put(video: video("/v/a.mp4", fingerprint: "fa2"), segments: Self.segments(1, seed: 3))
        XCTAssertEqual(try store.counts().segments, 4)
        XCTAssertNil(try store.segment(id: a.segmentIds[0]))
        XCTAssertNil(try store.video(fingerprint: "fa"))
        XCTAssertEqual(try store.video(path: "/v/a.mp4")?.id, a2.id)

        try store.move(videoId: b.id, to: "/w/b-renamed.mp4", size: 100, mtime: 2)
        XCTAssertNil(try store.video(path: "/v/b.mp4"))
        XCTAssertEqual(try store.video(path: "/w/b-renamed.mp4")?.segmentIds, b.segmentIds)

        XCTAssertTrue(try store.remove(path: "/v/a.mp4"))
        XCTAssertFalse(try store.remove(path: "/v/a.mp4"))
        XCTAssertEqual(try store.counts().videos, 1)
        XCTAssertEqual(try store.counts().segments, 3)
        let report = try Verifier.verify(store)
        XCTAssertTrue(report.ok, "\(report.problems)")
    }

    /// A looped or static video stores many segments with one vector: verify must not take the
    /// ties FAISS returns in any order for a vector missing from its cache.
    func testVerifyAcceptsMoreIdenticalVectorsThanOneSearchReturns() throws {
        let store = try IndexStore(writingAt: directory, model: Self.model)
        let one = Self.segments(1, seed: 7)[0]
        let copies = (0..<40).map { i -> EncodedSegment in
            var s = one
            s.segment = SegmentRecord(start: Double(i), end: Double(i) + 4, frameTimes: [Double(i) + 2])
            return s
        }
        try store.put(video: video("/v/loop.mp4", fingerprint: "fl"), segments: copies)
        try store.put(video: video("/v/other.mp4", fingerprint: "fo"), segments: Self.segments(3, seed: 8))
        try VectorCache.rebuild(store).save(in: directory)
        let report = try Verifier.verify(store)
        XCTAssertTrue(report.ok, "\(report.problems)")

        // A vector really missing from the cache is still found, duplicates or not.
        let cache = try VectorCache.open(store)
        let ids = try store.video(path: "/v/loop.mp4")!.segmentIds
        try cache.index.remove(ids: [ids[5]])
        try cache.save(in: directory)
        XCTAssertFalse(try Verifier.verify(store).ok)
    }

    func testVectorCacheSavedReopenedCaughtUpAndRebuilt() throws {
        let store = try IndexStore(writingAt: directory, model: Self.model)
        let a = try store.put(video: video("/v/a.mp4", fingerprint: "fa"), segments: Self.segments(4, seed: 1))
        let cache = try VectorCache.open(store)
        XCTAssertEqual(cache.index.count, 4)
        try cache.save(in: directory)
        XCTAssertTrue(try Verifier.verify(store).ok)

        // LMDB moves ahead: the file is stale, verify says so without failing, open catches up.
        try store.put(video: video("/v/b.mp4", fingerprint: "fb"), segments: Self.segments(2, seed: 2))
        try store.remove(path: "/v/a.mp4")
        let report = try Verifier.verify(store)
        XCTAssertTrue(report.ok, "\(report.problems)")
        XCTAssertFalse(report.notes.isEmpty)
        let caught = try VectorCache.open(store)
        XCTAssertNotNil(caught.notice)
        XCTAssertEqual(Set(try caught.index.ids()), try store.segmentIds())
        XCTAssertFalse(try caught.index.ids().contains(a.segmentIds[0]))
        try caught.save(in: directory)
        XCTAssertTrue(try Verifier.verify(store).ok)

        // Search equals brute force over LMDB's vectors.
        let query = VectorCache.normalized(Self.segments(2, seed: 2)[1].embedding)
        XCTAssertEqual(try caught.index.search(query, k: 1)[0].first?.id, try store.video(path: "/v/b.mp4")!.segmentIds[1])

        // A truncated, a garbage and a missing file are all rebuilt from LMDB.
        let file = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".faiss") }!
        let path = directory.appendingPathComponent(file).path
        for damage in ["truncate", "garbage", "delete"] {
            switch damage {
            case "truncate": try FileHandle(forWritingAtPath: path)!.truncate(atOffset: 40)
            case "garbage": try Data(repeating: 0x41, count: 500).write(to: URL(fileURLWithPath: path))
            default: try FileManager.default.removeItem(atPath: path)
            }
            if damage != "delete" { XCTAssertFalse(try Verifier.verify(store).ok, damage) }
            let rebuilt = try VectorCache.open(store)
            // A missing cache is news only to a process that did not just make the index.
            XCTAssertNotNil(damage == "delete" ? try VectorCache.open(IndexStore(readingAt: directory)).notice : rebuilt.notice, damage)
            XCTAssertEqual(Set(try rebuilt.index.ids()), try store.segmentIds(), damage)
            try rebuilt.save(in: directory)
            XCTAssertTrue(try Verifier.verify(store).ok, damage)
        }
    }

    func testSecondWriterIsToldWhoHoldsTheLockAndReadersStillRead() throws {
        let writer = try IndexStore(writingAt: directory, model: Self.model)
        try writer.put(video: video("/v/a.mp4", fingerprint: "fa"), segments: Self.segments(1, seed: 1))
        XCTAssertThrowsError(try IndexStore(writingAt: directory, model: Self.model)) { error in
            XCTAssertEqual(error as? IndexError, .locked(path: self.directory.path, pid: getpid()))
            XCTAssertTrue("\(error)".contains("locked by pid \(getpid())"))
        }
        let reader = try IndexStore(readingAt: directory, model: Self.model)
        XCTAssertEqual(try reader.counts().segments, 1)
        try writer.put(video: video("/v/b.mp4", fingerprint: "fb"), segments: Self.segments(2, seed: 2))
        XCTAssertEqual(try reader.counts().segments, 3, "a reader sees each commit")
    }

    /// A writer that has taken the lock but not yet written its pid (two runs started together)
    /// was named "pid 0".
    func testALockWhoseHolderIsJustStartingIsNotPidZero() throws {
        do { _ = try IndexStore(writingAt: directory, model: Self.model) }
        let held = open(directory.appendingPathComponent("writer.lock").path, O_RDWR)
        XCTAssertGreaterThanOrEqual(held, 0)
        defer { close(held) }
        XCTAssertEqual(ftruncate(held, 0), 0)
        XCTAssertEqual(flock(held, LOCK_EX | LOCK_NB), 0)
        XCTAssertThrowsError(try IndexStore(writingAt: directory, model: Self.model)) { error in
            XCTAssertFalse("\(error)".contains("pid 0"), "\(error)")
            XCTAssertTrue("\(error)".contains("just starting"), "\(error)")
        }
    }

    func testWrongModelAndMissingIndexAreErrorsNamingThem() throws {
        XCTAssertThrowsError(try IndexStore(readingAt: directory)) { error in
            XCTAssertEqual(error as? IndexError, .noIndex(path: self.directory.path))
        }
        do { _ = try IndexStore(writingAt: directory, model: Self.model) }
        let other = ModelIdentity(name: "other", fingerprint: "zzz999", dimension: 8, promptTokens: 3)
        for open in [
            { _ = try IndexStore(writingAt: self.directory, model: other) }, { _ = try IndexStore(readingAt: self.directory, model: other) },
        ] {
            XCTAssertThrowsError(try open()) { error in
                XCTAssertTrue("\(error)".contains("test (abc123)") && "\(error)".contains("other (zzz999)"), "\(error)")
            }
        }
    }

    func testVerifyFindsBrokenInvariants() throws {
        let store = try IndexStore(writingAt: directory, model: Self.model)
        try store.put(video: video("/v/a.mp4", fingerprint: "fa"), segments: Self.segments(2, seed: 1))
        XCTAssertTrue(try Verifier.verify(store).ok)
        let other = ModelIdentity(name: "other", fingerprint: "zzz", dimension: 8, promptTokens: 3)
        XCTAssertFalse(try Verifier.verify(store, model: other).ok)
    }
}

final class TombstoneTests: XCTestCase {
    /// HNSW cannot remove ids: removed segments stay as recorded tombstones, never returned, and
    /// verify accepts them; past 10% the cache is rebuilt without them.
    func testApproximateIndexKeepsTombstonesAndCompacts() throws {
        let (store, directory) = try IndexStoreTests.store(self, factory: "HNSW16,Flat", videos: 20)
        try VectorCache.open(store).save(in: directory)
        try store.remove(path: "/v/3.mp4")
        let cache = try VectorCache.open(store)
        XCTAssertEqual(cache.tombstones, 1)
        XCTAssertEqual(cache.index.count, 20)
        try cache.save(in: directory)
        let report = try Verifier.verify(store)
        XCTAssertTrue(report.ok, "\(report.problems)")
        XCTAssertEqual(try VectorCache.open(store).tombstones, 1, "tombstones survive a reopen")
        XCTAssertFalse(try cache.needsRebuild(store))
        try store.remove(path: "/v/4.mp4")
        try store.remove(path: "/v/5.mp4")
        let more = try VectorCache.open(store)
        XCTAssertEqual(more.tombstones, 3)
        XCTAssertTrue(try more.needsRebuild(store), "3 of 20 is past 10%")
        let compacted = try VectorCache.rebuild(store)
        XCTAssertEqual(compacted.tombstones, 0)
        XCTAssertEqual(compacted.index.count, 17)
        try compacted.save(in: directory)
        XCTAssertTrue(try Verifier.verify(store).ok)
    }
}

final class InvertedFileTests: XCTestCase {
    /// The size rule: exact below 100k segments, then an inverted file sized to the archive.
    func testFactoryForSize() {
        XCTAssertEqual(VectorCache.factory(forCount: 99_999, forced: nil), "Flat")
        XCTAssertEqual(VectorCache.factory(forCount: 100_000, forced: nil), "IVF1024,Flat")
        XCTAssertEqual(VectorCache.factory(forCount: 1_000_000, forced: nil), "IVF4096,Flat")
        XCTAssertEqual(VectorCache.factory(forCount: 5, forced: "HNSW32,Flat"), "HNSW32,Flat")
    }

    /// An index says what kind it is, and a file read back says the same: the cache is tuned for
    /// the file it opened, not for what its vector count would choose today.
    func testKindReadFromTheIndexAndItsFile() throws {
        let (_, directory) = try IndexStoreTests.store(self)
        var rng = SeededRandom(seed: 6)
        let vectors = (0..<(64 * 8)).map { _ in rng.uniform() }
        for (factory, kind) in [("Flat", "Flat"), ("IVF4,Flat", "IVF4,Flat"), ("HNSW16", "HNSW")] {
            let index = try FaissIndex(dimension: 8, factory: factory)
            if !index.isTrained { try index.train(vectors) }
            try index.add(vectors, ids: (1...64).map(Int64.init))
            XCTAssertEqual(index.kind, kind)
            let path = directory.appendingPathComponent("kind.faiss").path
            try index.write(to: path)
            XCTAssertEqual(try FaissIndex(contentsOf: path).kind, kind, "\(factory) read back")
        }
    }

    /// An inverted file is trained from LMDB's vectors, removes ids without tombstones, and
    /// finds a stored vector as its own nearest neighbour.
    func testInvertedFileBuildsRemovesAndFinds() throws {
        let (store, directory) = try IndexStoreTests.store(self, factory: "IVF4,Flat", videos: 40, segmentsEach: 5)
        let cache = try VectorCache.open(store)
        XCTAssertEqual(cache.factory, "IVF4,Flat")
        XCTAssertEqual(cache.index.count, 200)
        try cache.save(in: directory)
        let removed = try XCTUnwrap(try store.video(path: "/v/7.mp4")).segmentIds
        try store.remove(path: "/v/7.mp4")
        let reopened = try VectorCache.open(store)
        XCTAssertEqual(reopened.tombstones, 0, "an inverted file removes ids itself")
        XCTAssertEqual(reopened.index.count, 195)
        try reopened.save(in: directory)
        XCTAssertTrue(try Verifier.verify(store).ok)
        let kept = try XCTUnwrap(try store.video(path: "/v/8.mp4")).segmentIds[2]
        let vector = VectorCache.normalized(try XCTUnwrap(try store.embedding(segment: kept)))
        try reopened.index.setParameter("nprobe", 4)
        let hits = try reopened.index.search(vector, k: 10)[0]
        XCTAssertEqual(hits.first?.id, kept, "nearest: \(hits.prefix(3))")
        XCTAssertTrue(hits.allSatisfy { !removed.contains($0.id) })
    }

    /// A segment may be stored without prompt tokens: it has none to read, verify accepts it,
    /// and prompt tokens of the wrong size are still refused.
    func testSegmentWithoutPromptTokens() throws {
        let (store, directory) = try IndexStoreTests.store(self)
        var segments = IndexStoreTests.segments(2, seed: 4)
        segments[1].promptTokens = []
        let stored = try store.put(video: VideoRecord(path: "/v/a.mp4", fingerprint: "fa", size: 1, mtime: 0), segments: segments)
        var buffer = [Float](repeating: 0, count: 2 * 24)
        XCTAssertEqual(try store.rerankInputs(stored.segmentIds, tokens: &buffer).map { $0?.prompted }, [true, false])
        try VectorCache.open(store).save(in: directory)
        let report = try Verifier.verify(store)
        XCTAssertTrue(report.ok, "\(report.problems)")
        segments[0].promptTokens = [1, 2, 3]
        XCTAssertThrowsError(try store.put(video: VideoRecord(path: "/v/b.mp4", fingerprint: "fb", size: 1, mtime: 0), segments: segments))
    }

}

final class RerankReadTests: XCTestCase {
    /// The reranker's one-transaction read: embeddings in candidate order as stored, nil for a
    /// missing segment, and the codec's prompt tokens packed for those that have them.
    func testRerankInputsInCandidateOrder() throws {
        let (store, _) = try IndexStoreTests.store(self)
        var segments = IndexStoreTests.segments(3, seed: 5)
        segments[1].promptTokens = []
        let ids = try store.put(video: VideoRecord(path: "/v/a.mp4", fingerprint: "fa", size: 1, mtime: 0), segments: segments).segmentIds
        let order = [ids[2], 999_999, ids[1], ids[0]]
        var packed = [Float](repeating: .nan, count: 3 * 24)
        let inputs = try store.rerankInputs(order, tokens: &packed)
        XCTAssertEqual(inputs.count, 4)
        XCTAssertNil(inputs[1])
        XCTAssertEqual(inputs.map { $0?.prompted }, [true, nil, false, true])
        XCTAssertEqual(inputs[0]?.embedding, segments[2].embedding)
        XCTAssertEqual(inputs[2]?.embedding, segments[1].embedding)
        XCTAssertEqual(inputs[3]?.embedding, segments[0].embedding)
        var decoded = [Float](repeating: 0, count: 24)
        for (slot, index) in [2, 0].enumerated() {
            XCTAssertTrue(
                PromptTokenCodec.decode(PromptTokenCodec.encode(segments[index].promptTokens, tokens: 3), into: &decoded, tokens: 3, width: 8))
            XCTAssertEqual(Array(packed[(slot * 24)..<((slot + 1) * 24)]), decoded)
        }
        XCTAssertTrue(packed[48...].allSatisfy(\.isNaN), "nothing written past the two prompted segments")
    }
}
