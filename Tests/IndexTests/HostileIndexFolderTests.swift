import Foundation
import VideoIndex
import XCTest

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
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("lmdb/data.mdb"),
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
            for open in [{ _ = try IndexStore(readingAt: copy).counts() },
                         { _ = try IndexStore(writingAt: copy, model: IndexStoreTests.model).counts() }] {
                XCTAssertThrowsError(try open(), "cut at \(cut)") { error in
                    guard case let IndexError.corrupt(path, reason) = error else { return XCTFail("cut at \(cut): \(error)") }
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
