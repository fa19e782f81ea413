import Foundation
import XCTest

@testable import VideoIndex

/// An index folder someone tampered with, or a disk that lost part of it: a clear error naming
/// the file, never a followed link, a crash, or a silent fresh start.
final class HostileIndexFolderTests: XCTestCase {
    private func temporary(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func populatedIndex() throws -> URL {
        let (store, directory) = try IndexStoreTests.store(self, videos: 40, segmentsEach: 20)
        _ = store
        return directory
    }

    func testWriterLockLinkIsRefusedAndItsTargetKept() throws {
        let directory = temporary("index")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let victim = temporary("victim.txt")
        try Data("precious".utf8).write(to: victim)
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("writer.lock"), withDestinationURL: victim)
        XCTAssertThrowsError(try IndexStore(writingAt: directory, model: IndexStoreTests.model)) { error in
            XCTAssertTrue("\(error)".contains("writer.lock"), "\(error)")
            XCTAssertTrue("\(error)".contains("symbolic link"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: victim, encoding: .utf8), "precious")
    }

    func testLinkedDataFileIsRefusedForReadingAndWriting() throws {
        let source = try populatedIndex()
        let directory = temporary("index")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("lmdb"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: directory.appendingPathComponent("lmdb/data.mdb"),
            withDestinationURL: source.appendingPathComponent("lmdb/data.mdb"))
        for open in [{ _ = try IndexStore(readingAt: directory) }, { _ = try IndexStore(writingAt: directory, model: IndexStoreTests.model) }] {
            XCTAssertThrowsError(try open()) { error in
                XCTAssertTrue("\(error)".contains("data.mdb") && "\(error)".contains("symbolic link"), "\(error)")
            }
        }
    }

    /// Cut at one page (the double free), inside the data (the SIGBUS in mdb_get), and emptied
    /// (which once started a new index): each is "damaged", naming data.mdb, for readers and writers.
    func testTruncatedDataFileIsReportedNotMapped() throws {
        let source = try populatedIndex()
        let file = source.appendingPathComponent("lmdb/data.mdb")
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as! Int
        XCTAssertGreaterThan(size, 200 << 10, "the test needs an index of many pages")
        for cut in [0, 100, 4096, 8192, 8 << 10 + 1, 64 << 10, size / 2, size - 4096] {
            let copy = temporary("index")
            try FileManager.default.createDirectory(at: copy.appendingPathComponent("lmdb"), withIntermediateDirectories: true)
            let bytes = try Data(contentsOf: file).prefix(cut)
            try bytes.write(to: copy.appendingPathComponent("lmdb/data.mdb"))
            for open in [
                { _ = try IndexStore(readingAt: copy).counts() },
                { _ = try IndexStore(writingAt: copy, model: IndexStoreTests.model).counts() },
            ] {
                XCTAssertThrowsError(try open(), "cut at \(cut)") { error in
                    guard case IndexError.corrupt(let path, let reason) = error else { return XCTFail("cut at \(cut): \(error)") }
                    XCTAssertTrue(path.hasSuffix("lmdb/data.mdb"), path)
                    XCTAssertFalse(reason.isEmpty)
                }
            }
        }
    }

    func testForeignDataFileIsNotAnLMDB() throws {
        let directory = temporary("index")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("lmdb"), withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 3 * 4096).write(to: directory.appendingPathComponent("lmdb/data.mdb"))
        XCTAssertThrowsError(try IndexStore(writingAt: directory, model: IndexStoreTests.model)) { error in
            XCTAssertTrue("\(error)".contains("data.mdb"), "\(error)")
        }
    }

    func testBadFactoryIsRejectedBeforeAnythingIsSaved() throws {
        let directory = temporary("index")
        XCTAssertThrowsError(try IndexStore(writingAt: directory, model: IndexStoreTests.model, faissFactory: "NotAFactory,Flat")) { error in
            XCTAssertTrue("\(error)".contains("NotAFactory"), "\(error)")
        }
        // A later run without --faiss works: nothing was committed.
        let store = try IndexStore(writingAt: directory, model: IndexStoreTests.model)
        XCTAssertNil(store.meta.faissFactory)
    }
}

/// Everything that changes an embedding is in the model's identity, so an index refuses a model
/// that would mix other embeddings into it.
final class ModelIdentityTests: XCTestCase {
    func testPreprocessingIsPartOfTheFingerprint() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: directory.appendingPathComponent("config.json"))
        try Data(repeating: 7, count: 1000).write(to: directory.appendingPathComponent("model.safetensors"))
        let bare = try ModelIdentity(directory: directory, dimension: 8, promptTokens: 2)
        let preprocessing = directory.appendingPathComponent("preprocessor_config.json")
        try Data(#"{"image_mean": [0.5, 0.5, 0.5]}"#.utf8).write(to: preprocessing)
        let half = try ModelIdentity(directory: directory, dimension: 8, promptTokens: 2)
        try Data(#"{"image_mean": [0.4, 0.5, 0.5]}"#.utf8).write(to: preprocessing)
        let other = try ModelIdentity(directory: directory, dimension: 8, promptTokens: 2)
        XCTAssertEqual(Set([bare.fingerprint, half.fingerprint, other.fingerprint]).count, 3)
    }
}

/// A non-finite vector is never stored, and verify finds one that got in anyway.
final class NonFiniteVectorTests: XCTestCase {
    func testPutRefusesNaNAndVerifyFindsOne() throws {
        let (store, directory) = try IndexStoreTests.store(self, videos: 1, segmentsEach: 2)
        var segments = IndexStoreTests.segments(1, seed: 9)
        segments[0].embedding[3] = .nan
        XCTAssertThrowsError(try store.put(video: VideoRecord(path: "/v/nan.mp4", fingerprint: "n", size: 1, mtime: 0), segments: segments)) {
            error in
            XCTAssertTrue("\(error)".contains("/v/nan.mp4") && "\(error)".contains("non-finite"), "\(error)")
        }
        XCTAssertTrue(try Verifier.verify(store).ok)
        // Written behind the store's back (a damaged record): verify names the segment.
        _ = directory
        let key = Key.id(Int64(1))
        try store.environment.write { txn in
            var bytes = try txn.get(key, in: "vectors")!
            withUnsafeBytes(of: Float.infinity.bitPattern.littleEndian) { for i in 0..<4 { bytes[8 + i] = $0[i] } }
            try txn.put(bytes, for: key, in: "vectors")
        }
        let report = try Verifier.verify(store)
        XCTAssertTrue(report.problems.contains { $0.contains("segment 1") && $0.contains("not finite") }, "\(report.problems)")
    }
}

final class WriterWithoutModelTests: XCTestCase {
    /// `remove` opens the index for writing with its own model, and only an existing one.
    func testOpensOnlyAnExistingIndexAndKeepsItsModel() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID().uuidString)")
        XCTAssertThrowsError(try IndexStore(writingAt: missing, model: nil)) { XCTAssertEqual($0 as? IndexError, .noIndex(path: missing.path)) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
        let directory = try IndexStoreTests.store(self, videos: 2).1  // the first writer is closed again here
        let writer = try IndexStore(writingAt: directory, model: nil)
        XCTAssertEqual(writer.model, IndexStoreTests.model)
        XCTAssertTrue(try writer.remove(path: "/v/0.mp4"))
    }
}

/// The vector cache is believed only when its stamp names this LMDB environment and matches
/// every byte: damage anywhere in it, or a cache left from a deleted index, means a rebuild.
final class CacheTrustTests: XCTestCase {
    private func savedIndex() throws -> (IndexStore, URL, URL) {
        let (store, directory) = try IndexStoreTests.store(self, videos: 30, segmentsEach: 10)
        try VectorCache.open(store).save(in: directory)
        XCTAssertTrue(try Verifier.verify(store).ok)
        let name = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".faiss") }!
        return (store, directory, directory.appendingPathComponent(name))
    }

    /// Flipped bytes in the vectors or in the ids: the file still reads, and was once served
    /// (scores of 3e23, or silently missing segments).
    func testGarbledBytesAreCaughtAndRebuilt() throws {
        for fraction in [0.5, 0.98] {  // the vector data, then the id list at the end
            let (store, _, file) = try savedIndex()
            var bytes = try Data(contentsOf: file)
            let at = Int(Double(bytes.count) * fraction)
            for i in at..<(at + 16) { bytes[i] ^= 0x5A }
            try bytes.write(to: file)
            let report = try Verifier.verify(store)
            XCTAssertTrue(report.problems.contains { $0.contains("checksum") }, "\(fraction): \(report.problems)")
            let cache = try VectorCache.open(store)
            XCTAssertTrue(cache.notice?.contains("checksum") == true, "\(cache.notice ?? "no notice")")
            XCTAssertEqual(Set(try cache.index.ids()), try store.segmentIds())
            let probe = try XCTUnwrap(store.embedding(segment: 1))
            let hits = try cache.index.search(VectorCache.normalized(probe), k: 300)[0]
            XCTAssertEqual(hits.count, 300)
            XCTAssertTrue(hits.allSatisfy { $0.score.isFinite && $0.score <= 1.0001 }, "scores stay cosines")
        }
    }

    /// LMDB deleted and made again: its generations restart, and the old cache (at a higher
    /// generation) must not be kept.
    func testCacheOfAnotherLMDBIsNotBelieved() throws {
        let (_, directory, file) = try savedIndex()
        let saved = try Data(contentsOf: file)
        let stampName = file.deletingPathExtension().lastPathComponent + ".stamp"
        let stamp = try Data(contentsOf: directory.appendingPathComponent(stampName))
        try FileManager.default.removeItem(at: directory)
        let store = try IndexStore(writingAt: directory, model: IndexStoreTests.model)
        for v in 0..<3 {
            try store.put(
                video: VideoRecord(path: "/w/\(v).mp4", fingerprint: "w\(v)", size: 1, mtime: 0),
                segments: IndexStoreTests.segments(2, seed: UInt64(100 + v)))
        }
        try saved.write(to: file)
        try stamp.write(to: directory.appendingPathComponent(stampName))
        XCTAssertFalse(try Verifier.verify(store).ok)
        let cache = try VectorCache.open(store)
        XCTAssertNotNil(cache.notice)
        XCTAssertEqual(Set(try cache.index.ids()), try store.segmentIds(), "LMDB's 6 segments, not the old 300")
        // The same file under the new index's own generation: the identity still tells them apart.
        try FileManager.default.removeItem(at: file)
        let same = directory.appendingPathComponent("vectors-g\(store.meta.generation).faiss")
        try saved.write(to: same)
        var s = try JSONSerialization.jsonObject(with: stamp) as! [String: Any]
        s["generation"] = store.meta.generation
        try JSONSerialization.data(withJSONObject: s).write(to: directory.appendingPathComponent("vectors-g\(store.meta.generation).stamp"))
        let again = try VectorCache.open(store)
        XCTAssertTrue(again.notice?.contains("another index") == true, "\(again.notice ?? "no notice")")
        XCTAssertEqual(Set(try again.index.ids()), try store.segmentIds())
    }

    func testStrayTemporaryFilesAreCleaned() throws {
        let (store, directory, _) = try savedIndex()
        for name in ["vectors.tmp-999999", "stamp.tmp-424242", "tombstones.tmp-1"] {
            try Data("left by a writer that died".utf8).write(to: directory.appendingPathComponent(name))
        }
        try store.put(video: VideoRecord(path: "/v/new.mp4", fingerprint: "new", size: 1, mtime: 0), segments: IndexStoreTests.segments(1, seed: 5))
        try VectorCache.open(store).save(in: directory)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(left, [])
        XCTAssertTrue(try Verifier.verify(store).ok)
    }
}

extension ModelIdentityTests {
    /// An index made before preprocessing joined the fingerprint is still the same model's: it
    /// opens, and its next writer records the new fingerprint.
    func testIndexesWithTheOlderFingerprintAreRecognisedAndUpgraded() throws {
        let model = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: model) }
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: model.appendingPathComponent("config.json"))
        try Data(repeating: 7, count: 1000).write(to: model.appendingPathComponent("model.safetensors"))
        try Data(#"{"size": 224}"#.utf8).write(to: model.appendingPathComponent("preprocessor_config.json"))
        let current = try ModelIdentity(directory: model, dimension: 8, promptTokens: 2)
        var old = current
        // Pinned: what versions before preprocessing joined the fingerprint stored for this model
        // (computed by them, not by today's code), and what today's stores.
        XCTAssertEqual(current.legacyFingerprint, "1cc8dfa5acf83da4ed236b2c1b178d89")
        XCTAssertEqual(current.fingerprint, "1cb69ec78d65ee1c345a98add47aaa2c")
        old.fingerprint = "1cc8dfa5acf83da4ed236b2c1b178d89"
        old.legacyFingerprint = nil
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        _ = try IndexStore(writingAt: directory, model: old)
        XCTAssertNoThrow(try IndexStore(readingAt: directory, model: current))
        XCTAssertEqual(try IndexStore(writingAt: directory, model: current).meta.model.fingerprint, current.fingerprint)
        var other = current
        other.fingerprint = "something else"
        other.legacyFingerprint = "and else"
        XCTAssertThrowsError(try IndexStore(readingAt: directory, model: other))
    }
}
