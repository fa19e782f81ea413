import Foundation
import TestSupport
import XCTest

/// `index --dry-run` says what a run would do and writes nothing; `export` prints what is stored.
final class DryRunExportTests: XCTestCase {
    func testDryRunNamesEachDecisionAndWritesNothing() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let a = dir.appendingPathComponent("a.mp4").path, b = dir.appendingPathComponent("b.mp4").path
        try makeClip(a, color: "red", seconds: 5)
        try makeClip(b, color: "blue", seconds: 9)
        let index = dir.appendingPathComponent("index").path

        // No index yet: every file is new, and no index folder appears.
        let first = try CLI.run(["index", a, b, "--index", index, "--dry-run", "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.json.dropLast().map { $0["action"] as? String }, ["encode", "encode"])
        let duration = try XCTUnwrap(first.json[1]["duration"] as? Double)
        XCTAssertEqual(duration, 9, accuracy: 0.2, "the header's duration")
        XCTAssertFalse(FileManager.default.fileExists(atPath: index), "a dry run writes nothing")

        XCTAssertEqual(try CLI.run(["index", a, "--index", index, "--model", model.path]).status, 0)
        let moved = dir.appendingPathComponent("moved.mp4").path
        try FileManager.default.moveItem(atPath: a, toPath: moved)
        let missing = dir.appendingPathComponent("missing.mp4").path
        let before = try CLI.run(["export", "--index", index]).stdout
        let second = try CLI.run(["index", moved, b, missing, "--index", index, "--dry-run", "--json"])
        XCTAssertEqual(second.status, 1, "an unreadable file is a failure, as in a real run")
        let actions = Dictionary(uniqueKeysWithValues: second.json.dropLast().map { ($0["path"] as! String, $0["action"] as! String) })
        XCTAssertEqual(actions, [moved: "move", b: "encode", missing: "fail"])
        XCTAssertEqual(second.json.first { $0["path"] as? String == moved }?["from"] as? String, a)
        XCTAssertEqual(try CLI.run(["export", "--index", index]).stdout, before, "nothing moved in the index")

        // After the real run: unchanged files are skipped.
        XCTAssertEqual(try CLI.run(["index", moved, b, "--index", index, "--model", model.path]).status, 0)
        let third = try CLI.run(["index", moved, b, "--index", index, "--dry-run", "--json"])
        XCTAssertEqual(third.json.dropLast().map { $0["action"] as? String }, ["skip", "skip"])
        XCTAssertEqual(third.json.last?["encode"] as? Int, 0)

        // The same files named in a list (as cluster drivers pass thousands of them).
        let list = dir.appendingPathComponent("list.txt")
        try "\(moved)\n\n\(b)\n".write(to: list, atomically: true, encoding: .utf8)
        let listed = try CLI.run(["index", "--files-from", list.path, "--index", index, "--dry-run", "--json"])
        XCTAssertEqual(Set(listed.json.dropLast().compactMap { $0["path"] as? String }), [moved, b])
        XCTAssertEqual(try CLI.run(["index", "--files-from", dir.appendingPathComponent("nolist").path, "--index", index]).status, 2)
    }

    func testExportPrintsEverySegmentWithItsStoredVector() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let a = dir.appendingPathComponent("a.mp4").path
        try makeClip(a, color: "green", seconds: 10)
        let index = dir.appendingPathComponent("index").path
        XCTAssertEqual(try CLI.run(["index", a, "--index", index, "--model", model.path, "--segment-length", "4"]).status, 0)
        let rows = try CLI.run(["export", "--index", index, "--vectors"]).json
        // 10 s in 4 s segments: the last window ends at the end of the file.
        XCTAssertEqual(rows.map { $0["start"] as? Double }, [0, 4, 6].map { Optional($0) })
        XCTAssertEqual(rows.last?["end"] as? Double ?? 0, 10, accuracy: 0.1)
        let stored = try CLI.run(["list", "--index", index, "--json"]).json
        XCTAssertEqual(stored.first?["segments"] as? Int, rows.count)
        for row in rows {
            let vector = try XCTUnwrap(row["embedding"] as? [Double])
            XCTAssertFalse(vector.isEmpty)
            XCTAssertTrue(vector.allSatisfy(\.isFinite))
            XCTAssertGreaterThan(vector.map { $0 * $0 }.reduce(0, +), 0)
        }
        XCTAssertEqual(try CLI.run(["export", "--index", index, "--vectors"]).stdout, try CLI.run(["export", "--index", index, "--vectors"]).stdout)
        XCTAssertEqual(try CLI.run(["export", "--index", dir.appendingPathComponent("none").path]).status, 3)
    }
}
