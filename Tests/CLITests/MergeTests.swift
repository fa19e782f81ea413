import Foundation
import TestSupport
import XCTest

/// `vidsearch merge`: shards built apart become one index equal to one built in one place.
final class MergeTests: XCTestCase {
    private func clips(_ dir: URL, _ colors: [String]) throws -> [String] {
        try colors.enumerated().map { i, color in
            let path = dir.appendingPathComponent("clip-\(color).mp4").path
            if !FileManager.default.fileExists(atPath: path) { try makeClip(path, color: color, seconds: 6 + i % 3) }
            return path
        }
    }

    /// Each query's hits: "query path start end" and the score.
    private func results(_ index: String, _ model: URL) throws -> [(hit: String, score: Double)] {
        try ["a red box", "a blue box", "a green box"].flatMap { q in
            try CLI.run(["search", q, "--index", index, "--model", model.path, "--json", "-k", "50"]).json.map {
                ("\(q) \($0["path"]!) \($0["start"]!) \($0["end"]!)", $0["score"] as! Double)
            }
        }
    }

    /// The same hits in the same order with the same scores: a segment's vector and its rerank
    /// score do not depend on what else a run or a search holds, on any engine.
    private func assertSameHits(
        _ a: [(hit: String, score: Double)], _ b: [(hit: String, score: Double)], _ message: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.map(\.hit), b.map(\.hit), message, file: file, line: line)
        XCTAssertEqual(a.map(\.score), b.map(\.score), message, file: file, line: line)
        XCTAssertFalse(a.contains { !$0.score.isFinite }, message, file: file, line: line)
    }

    func testShardsWithOverlapMergeIntoWhatOneIndexHolds() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let files = try clips(dir, ["red", "green", "blue", "yellow"])
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        let single = dir.appendingPathComponent("single").path, main = dir.appendingPathComponent("main").path
        XCTAssertEqual(try CLI.run(["index"] + Array(files[0...2]) + ["--index", a, "--model", model.path]).status, 0)
        XCTAssertEqual(try CLI.run(["index"] + Array(files[1...3]) + ["--index", b, "--model", model.path]).status, 0)
        XCTAssertEqual(try CLI.run(["index"] + files + ["--index", single, "--model", model.path]).status, 0)

        let r = try CLI.run(["merge", a, b, "--index", main, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(r.json.last)
        XCTAssertEqual(summary["added"] as? Int, 4)
        XCTAssertEqual(summary["skipped"] as? Int, 2, "the two files both shards hold are merged once")
        XCTAssertEqual(try CLI.run(["verify", "--index", main]).status, 0)
        assertSameHits(try results(main, model), try results(single, model), "same hits, times and scores as one index")
        XCTAssertEqual(try CLI.run(["list", "--index", main, "--json"]).json.count, 4)

        // Three shards searched side by side rank as their merge does (a and b share two files:
        // cut the four files into three shards that do not overlap instead).
        let parts = [[files[0]], [files[1], files[2]], [files[3]]]
        let shards = try parts.enumerated().map { i, part -> String in
            let shard = dir.appendingPathComponent("part\(i)").path
            XCTAssertEqual(try CLI.run(["index"] + part + ["--index", shard, "--model", model.path]).status, 0)
            return shard
        }
        let merged = dir.appendingPathComponent("merged").path
        XCTAssertEqual(try CLI.run(["merge"] + shards + ["--index", merged]).status, 0)
        for q in ["a red box", "a blue box", "a yellow box"] {
            let fanned = try CLI.run(["search", q] + shards.flatMap { ["--index", $0] } + ["--model", model.path, "--json", "-k", "50"]).json
            let one = try CLI.run(["search", q, "--index", merged, "--model", model.path, "--json", "-k", "50"]).json
            XCTAssertEqual(fanned.count, try CLI.run(["list", "--index", merged, "--json"]).json.map { $0["segments"] as! Int }.reduce(0, +))
            // Bit for bit: a candidate's rerank score does not depend on how many others are reranked with it.
            XCTAssertEqual(
                fanned.map { "\($0["path"]!) \($0["start"]!) \($0["score"] as! Double)" },
                one.map { "\($0["path"]!) \($0["start"]!) \($0["score"] as! Double)" }, q)
        }

        // Again: nothing to do.
        XCTAssertEqual(try CLI.run(["merge", a, b, "--index", main, "--json"]).json.last?["skipped"] as? Int, 6)

        // A shard of another model is refused and nothing changes.
        let other = try tinyModel(self, variant: " ")
        let c = dir.appendingPathComponent("c").path
        XCTAssertEqual(try CLI.run(["index", files[0], "--index", c, "--model", other.path]).status, 0)
        let refused = try CLI.run(["merge", a, c, "--index", main])
        XCTAssertEqual(refused.status, 3)
        XCTAssertTrue(refused.stderr.contains(c), refused.stderr)
        assertSameHits(try results(main, model), try results(single, model), "unchanged after the refused merge")
    }

    /// Killed at random moments, then run again: every video exactly once.
    func testInterruptedMergesFinishExactlyOnce() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let files = try clips(dir, ["red", "green", "blue", "yellow", "white", "cyan", "magenta", "orange"])
        let shard = dir.appendingPathComponent("shard").path
        XCTAssertEqual(try CLI.run(["index"] + files + ["--index", shard, "--model", model.path]).status, 0)
        let probe = dir.appendingPathComponent("probe").path
        let began = Date()
        XCTAssertEqual(try CLI.run(["merge", shard, "--index", probe]).status, 0)
        let whole = Date().timeIntervalSince(began)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let main = dir.appendingPathComponent("main\(round)").path
            let process = try CLI.start(["merge", shard, "--index", main])
            usleep(UInt32(Double.random(in: 0.1...0.9, using: &rng) * whole * 1_000_000))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            if FileManager.default.fileExists(atPath: main + "/lmdb/data.mdb") {
                XCTAssertEqual(try CLI.run(["verify", "--index", main]).status, 0, "after the kill in round \(round)")
            }
            XCTAssertEqual(try CLI.run(["merge", shard, "--index", main]).status, 0)
            let listed = try CLI.run(["list", "--index", main, "--json"]).json
            XCTAssertEqual(listed.count, files.count, "round \(round)")
            XCTAssertEqual(Set(listed.compactMap { $0["path"] as? String }).count, files.count)
            XCTAssertEqual(try CLI.run(["verify", "--index", main]).status, 0)
        }
    }

    /// The same path with new content replaces the old copy; a file that moved keeps one copy.
    func testChangedAndMovedFilesKeepOneCopy() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let main = dir.appendingPathComponent("main").path, shard = dir.appendingPathComponent("shard").path
        let changing = dir.appendingPathComponent("changing.mp4").path
        let before = dir.appendingPathComponent("before.mp4").path, after = dir.appendingPathComponent("after.mp4").path
        try makeClip(changing, color: "red", seconds: 4)
        try makeClip(before, color: "blue", seconds: 4)
        XCTAssertEqual(try CLI.run(["index", changing, before, "--index", main, "--model", model.path]).status, 0)
        // Elsewhere, later: the first file was re-recorded, the second moved.
        sleep(1)
        try makeClip(changing, color: "green", seconds: 8)
        try FileManager.default.moveItem(atPath: before, toPath: after)
        XCTAssertEqual(try CLI.run(["index", changing, after, "--index", shard, "--model", model.path]).status, 0)
        let r = try CLI.run(["merge", shard, "--index", main, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let status = Dictionary(uniqueKeysWithValues: r.json.compactMap { o in (o["path"] as? String).map { ($0, o["status"] as! String) } })
        XCTAssertEqual(status[changing], "replaced")
        XCTAssertEqual(status[after], "moved")
        let listed = try CLI.run(["list", "--index", main, "--json"]).json
        XCTAssertEqual(Set(listed.compactMap { $0["path"] as? String }), [changing, after])
        let changed = try XCTUnwrap(listed.first { $0["path"] as? String == changing })
        XCTAssertEqual(changed["segments"] as? Int, 2, "the new 8 s recording's two windows")
        XCTAssertEqual(try CLI.run(["verify", "--index", main]).status, 0)
    }
}
