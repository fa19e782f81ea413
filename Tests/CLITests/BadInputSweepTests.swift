import Foundation
import TestSupport
import XCTest

/// Hostile and mistaken invocations: each exits 0, 1, 2 or 3 with a message that names the
/// problem, never by a signal, and leaves the index verifiable.
final class BadInputSweepTests: XCTestCase {
    /// A folder holding the tiny model and an index of one 2 s clip.
    private func indexedClip() throws -> (dir: URL, model: URL, index: String, clip: String) {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let index = dir.appendingPathComponent("index").path
        let clip = dir.appendingPathComponent("c.mp4").path
        try makeClip(clip, color: "red", seconds: 2)
        XCTAssertEqual(try CLI.run(["index", clip, "--index", index, "--model", model.path]).status, 0)
        return (dir, model, index, clip)
    }

    func testNumbersFromTheCommandLineAreUsageErrors() throws {
        let (_, model, index, clip) = try indexedClip()
        let common = ["--index", index, "--model", model.path]
        let cases: [([String], String)] = [
            (["search", "a dog", "-k", "9223372036854775807"], "-k"),
            (["search", "a dog", "-k", "0"], "-k"),
            (["search", "a dog", "--candidates", "9223372036854775807"], "--candidates"),
            (["search", "a dog", "--candidates", "1000000000"], "--candidates"),
            (["index", clip, "--segment-stride", "nan"], "--segment-stride"),
            (["index", clip, "--segment-length", "1e-9"], "--segment-length"),
            (["index", clip, "--segment-stride", "1e-6"], "--segment-stride"),
            (["index", clip, "--segment-length", "inf"], "--segment-length"),
            (["index", clip, "--batch", "100000000"], "--batch"),
            (["index", clip, "--faiss", "NoSuchIndex,Flat"], "NoSuchIndex"),
            (["search"], "give a query"),
        ]
        for (arguments, named) in cases {
            let r = try CLI.run(arguments + common)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(named), "\(arguments): \(r.stderr)")
        }
        // Nothing above changed the index: a plain run and verify still work.
        XCTAssertEqual(try CLI.run(["index", clip] + common).status, 0)
        XCTAssertEqual(try CLI.run(["verify"] + common).status, 0)
        let r = try CLI.run(["search", "a red box", "-k", "10000", "--candidates", "10000", "--json"] + common)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.json.count, 1, "one segment in the index")
    }

    func testEmptyQueriesFileAndUnreadableIndexPathAreNamed() throws {
        let (dir, model, index, clip) = try indexedClip()
        let empty = dir.appendingPathComponent("queries.txt")
        try Data("\n  \n".utf8).write(to: empty)
        var r = try CLI.run(["search", "--queries", empty.path, "--index", index, "--model", model.path])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("queries.txt") && r.stderr.contains("no queries"), r.stderr)

        // An index path that is a file, not a folder.
        r = try CLI.run(["index", clip, "--index", clip, "--model", model.path])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stderr.contains(clip) && !r.stderr.contains("NSCocoaErrorDomain"), r.stderr)
    }

    /// A path past LMDB's 511-byte key limit once aborted the run (MDB_BAD_VALSIZE, exit 3).
    func testThousandBytePathIsIndexedSearchedAndRemoved() throws {
        let (dir, model, index, clip) = try indexedClip()
        var folder = dir
        for letter in ["a", "b", "c", "d"] { folder.appendPathComponent(String(repeating: letter, count: 240)) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let long = folder.appendingPathComponent("clip.mp4").path
        XCTAssertGreaterThan(long.utf8.count, 1000)
        try FileManager.default.copyItem(atPath: clip, toPath: long)
        try makeClip(clip, color: "blue", seconds: 2)  // the short one changes: both must be (re)indexed
        let common = ["--index", index, "--model", model.path]
        var r = try CLI.run(["index", long, clip, "--json"] + common)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.json.filter { $0["status"] as? String == "indexed" }.count, 2, r.stdout)
        r = try CLI.run(["search", "a box", "--json"] + common)
        XCTAssertTrue(r.json.contains { $0["path"] as? String == long }, r.stdout)
        XCTAssertEqual(try CLI.run(["verify"] + common).status, 0)
        XCTAssertEqual(try CLI.run(["index", long, "--json"] + common).json.first?["status"] as? String, "skipped")
        XCTAssertEqual(try CLI.run(["remove", long] + common).status, 0)
        r = try CLI.run(["search", "a box", "--json"] + common)
        XCTAssertFalse(r.json.contains { $0["path"] as? String == long }, r.stdout)
        XCTAssertEqual(try CLI.run(["verify"] + common).status, 0)
    }

    /// A FIFO once hung the run holding the writer lock; a linked folder indexed nothing with
    /// exit 0; a name that is not UTF-8 was skipped in silence.
    func testFIFOsLinkedFoldersAndUndecodableNames() throws {
        let (dir, model, index, clip) = try indexedClip()
        let common = ["--index", index, "--model", model.path]
        let fifo = dir.appendingPathComponent("pipe.mp4").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        var r = try CLI.run(["index", fifo, "--json"] + common)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue((r.json.first?["error"] as? String)?.contains("FIFO") == true, r.stdout)

        let folder = dir.appendingPathComponent("footage")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: clip, toPath: folder.appendingPathComponent("a.mp4").path)
        let link = dir.appendingPathComponent("footage-link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: folder)
        r = try CLI.run(["index", link.path, "--json"] + common)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.json.first?["path"] as? String, link.path + "/a.mp4", r.stdout)

        // "b\xff.mp4": a Latin-1 name from an old camera card.
        let raw = Array(folder.path.utf8) + Array("/b".utf8) + [0xFF] + Array(".mp4".utf8) + [0]
        let fd = raw.withUnsafeBufferPointer { p in p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_CREAT | O_WRONLY, 0o644) } }
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        r = try CLI.run(["index", folder.path, "--json"] + common)
        XCTAssertEqual(r.status, 1, r.stderr)
        let failure = r.json.first { $0["status"] as? String == "failed" }
        XCTAssertEqual(failure?["path"] as? String, folder.path + "/b\\xFF.mp4", r.stdout)
        XCTAssertTrue((failure?["error"] as? String)?.contains("not valid UTF-8") == true, r.stdout)
        XCTAssertEqual(try CLI.run(["verify"] + common).status, 0)
    }
}
