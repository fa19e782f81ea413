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
            (["index", clip, "--decode-threads", "100000000"], "--decode-threads"),
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

        // A batch goes on past a query that cannot run (only a special token, which the tokenizer drops), and a
        // NUL inside a query is no part of its words (it aborted the batch with exit 3).
        let batch = dir.appendingPathComponent("batch.txt")
        try Data("a red box\n<|endoftext|>\na red\u{0}box\n".utf8).write(to: batch)
        r = try CLI.run(["search", "--queries", batch.path, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("batch.txt") && r.stderr.contains("no words the model can read"), r.stderr)
        XCTAssertEqual(Set(r.json.compactMap { $0["query"] as? String }), ["a red box", "a red\u{0}box"], r.stdout)

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
        let fd = raw.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_CREAT | O_WRONLY, 0o644) }
        }
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

/// Index files cut at many offsets, and FAISS files with flipped bytes: every command ends with
/// 0, 1 or 3 and a message, never a signal, and verify names the damage.
final class DamagedIndexCorpusTests: XCTestCase {
    func testTruncatedAndFlippedFilesNeverCrashACommand() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let pristine = dir.appendingPathComponent("index")
        for (i, color) in ["red", "blue", "green"].enumerated() {
            let clip = dir.appendingPathComponent("c\(i).mp4").path
            try makeClip(clip, color: color, seconds: 6)
            XCTAssertEqual(try CLI.run(["index", clip, "--index", pristine.path, "--model", model.path]).status, 0)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: pristine.path)
        let faiss = try XCTUnwrap(files.first { $0.hasSuffix(".faiss") })
        let dataSize = try FileManager.default.attributesOfItem(atPath: pristine.appendingPathComponent("lmdb/data.mdb").path)[.size] as! Int
        var damages: [(String, String, (inout Data) -> Void)] = []
        for cut in [0, 1, 4095, 4096, 8191, 8192, 12288, dataSize / 2, dataSize - 1] where cut < dataSize {
            damages.append(("lmdb/data.mdb", "cut at \(cut)", { $0 = $0.prefix(cut) }))
        }
        let faissSize = try FileManager.default.attributesOfItem(atPath: pristine.appendingPathComponent(faiss).path)[.size] as! Int
        for cut in [0, 10, faissSize / 2, faissSize - 1] { damages.append((faiss, "cut at \(cut)", { $0 = $0.prefix(cut) })) }
        // Flips in the header (counts and sizes FAISS's reader trusts: one made verify allocate until
        // the kernel killed it), then anywhere.
        let header = [15, 184, 193, 288, 292, 390, 425, 599].filter { $0 < faissSize }
        damages.append((faiss, "header flips at \(header)", { data in for o in header { data[o] ^= 0xA5 } }))
        var rng = SystemRandomNumberGenerator()
        for round in 0..<4 {
            let offsets = (0..<8).map { _ in Int.random(in: 0..<faissSize, using: &rng) }
            damages.append((faiss, "flips \(round) at \(offsets)", { data in for o in offsets { data[o] ^= 0xA5 } }))
        }
        for (file, what, damage) in damages {
            let copy = dir.appendingPathComponent("damaged-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: pristine, to: copy)
            let target = copy.appendingPathComponent(file)
            var data = try Data(contentsOf: target)
            damage(&data)
            try data.write(to: target)
            let common = ["--index", copy.path, "--model", model.path]
            for command in [["search", "a red box"], ["list"], ["stats"], ["verify"], ["index", dir.appendingPathComponent("c0.mp4").path]] {
                let r = try CLI.run(command + common)
                XCTAssertTrue(
                    !r.signaled && [0, 1, 3].contains(r.status),
                    "\(file) \(what): \(command[0]) ended with \(r.signaled ? "signal" : "status") \(r.status): \(r.stderr)")
                if r.status == 3 { XCTAssertFalse(r.stderr.isEmpty, "\(file) \(what): \(command[0]) said nothing") }
            }
            if file.hasSuffix(".mdb") {
                XCTAssertEqual(try CLI.run(["verify"] + common).status, 3, "\(what): a damaged LMDB is an index error")
            }
            try? FileManager.default.removeItem(at: copy)
        }
    }
}
