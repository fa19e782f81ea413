import Foundation
import TestSupport
import XCTest

/// The command line driven as a user drives it: make clips, index, search, add, remove, verify.
final class EndToEndTests: XCTestCase {
    func testIndexSearchAddRemoveVerify() throws {
        let dir = try temporaryDirectory(self)
        let clips = dir.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
        try makeClip(clips.appendingPathComponent("red.mp4").path, color: "red", seconds: 6)
        try makeClip(clips.appendingPathComponent("blue.mkv").path, color: "blue", seconds: 3)
        try "not a video".write(to: clips.appendingPathComponent("notes.mp4"), atomically: true, encoding: .utf8)
        let model = try tinyModel(self)
        let index = dir.appendingPathComponent("index").path
        let common = ["--index", index, "--model", model.path]

        // First run: two videos indexed, the text file reported, exit 1 for "some failed".
        var r = try CLI.run(["index", clips.path, "--json"] + common)
        XCTAssertEqual(r.status, 1, r.stderr)
        let files = r.json.filter { $0["summary"] == nil }
        XCTAssertEqual(files.count, 3)
        XCTAssertEqual(files.first { ($0["path"] as? String)?.hasSuffix("notes.mp4") == true }?["status"] as? String, "failed")
        XCTAssertTrue((files.first { ($0["path"] as? String)?.hasSuffix("notes.mp4") == true }?["error"] as? String ?? "").contains("not a video"))
        XCTAssertEqual(files.first { ($0["path"] as? String)?.hasSuffix("red.mp4") == true }?["segments"] as? Int, 2)
        XCTAssertEqual(files.first { ($0["path"] as? String)?.hasSuffix("blue.mkv") == true }?["segments"] as? Int, 1)

        r = try CLI.run(["search", "a red box", "--json", "-k", "10"] + common)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.json.count, 3)
        XCTAssertEqual(
            Set(r.json.compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }), ["red.mp4", "blue.mkv"])
        XCTAssertEqual(r.json.map { $0["rank"] as? Int }, [1, 2, 3])
        let scores = r.json.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >))
        let red = r.json.filter { ($0["path"] as? String)?.hasSuffix("red.mp4") == true }
        XCTAssertEqual(Set(red.compactMap { $0["start"] as? Double }), [0, 2], "6 s in 4 s windows: 0-4 and the tail 2-6")

        // Second run: unchanged files skipped; a new file added.
        try makeClip(clips.appendingPathComponent("green.mp4").path, color: "green", seconds: 2)
        r = try CLI.run(["index", clips.path, "--ext", "mp4,mkv", "--json"] + common)
        let second = r.json.filter { $0["summary"] == nil }
        XCTAssertEqual(second.filter { $0["status"] as? String == "skipped" }.count, 2)
        XCTAssertEqual(second.filter { $0["status"] as? String == "indexed" }.count, 1)
        r = try CLI.run(["search", "a green box", "--json"] + common)
        XCTAssertEqual(r.json.count, 4)
        XCTAssertTrue(r.json.contains { ($0["path"] as? String)?.hasSuffix("green.mp4") == true })

        // A rename is recognized without re-encoding.
        try FileManager.default.moveItem(at: clips.appendingPathComponent("green.mp4"), to: clips.appendingPathComponent("verde.mp4"))
        r = try CLI.run(["index", clips.appendingPathComponent("verde.mp4").path, "--json"] + common)
        XCTAssertEqual(r.json.first?["status"] as? String, "moved")

        // Remove one; it is gone from the results.
        r = try CLI.run(["remove", clips.appendingPathComponent("red.mp4").path] + common)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try CLI.run(["search", "a red box", "--json"] + common)
        XCTAssertEqual(r.json.count, 2)
        XCTAssertFalse(r.json.contains { ($0["path"] as? String)?.hasSuffix("red.mp4") == true })
        XCTAssertEqual(try CLI.run(["remove", "/no/such/video.mp4"] + common).status, 1)

        r = try CLI.run(["verify", "--index", index, "--model", model.path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("every invariant holds"))
        r = try CLI.run(["list", "--json", "--index", index])
        XCTAssertEqual(
            Set(r.json.compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }), ["blue.mkv", "verde.mp4"])
        r = try CLI.run(["stats", "--json", "--index", index])
        XCTAssertEqual(r.json.first?["segments"] as? Int, 2)

        // A readable table on request, with time ranges.
        r = try CLI.run(["search", "a box", "--per-video"] + common)
        XCTAssertTrue(r.stdout.contains("rank  score"), r.stdout)
        XCTAssertTrue(r.stdout.contains("0:00.0-0:03.0"), r.stdout)
    }

    func testErrorsNameTheThingAndExitCodesMeanSomething() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let index = dir.appendingPathComponent("index").path

        var r = try CLI.run(["search", "a dog", "--index", index, "--model", model.path])
        XCTAssertEqual(r.status, 3)
        XCTAssertTrue(r.stderr.contains("no index at \(index)"), r.stderr)

        let clip = dir.appendingPathComponent("c.mp4").path
        try makeClip(clip, color: "red", seconds: 2)
        XCTAssertEqual(try CLI.run(["index", clip, "--index", index, "--model", model.path]).status, 0)

        r = try CLI.run(["search", "   ", "--index", index, "--model", model.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("query is empty"), r.stderr)

        let other = try tinyModel(self, variant: " ")
        r = try CLI.run(["search", "a dog", "--index", index, "--model", other.path])
        XCTAssertEqual(r.status, 3)
        XCTAssertTrue(r.stderr.contains("was built with model"), r.stderr)
        r = try CLI.run(["index", clip, "--index", index, "--model", other.path])
        XCTAssertEqual(r.status, 3)

        r = try CLI.run(["search", "a dog", "--index", index, "--model", dir.appendingPathComponent("nomodel").path])
        XCTAssertEqual(r.status, 3)
        XCTAssertTrue(r.stderr.contains("nomodel"), r.stderr)

        r = try CLI.run(["search", "--no-such-flag", "x"])
        XCTAssertEqual(r.status, 2)
        r = try CLI.run(["search", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("Examples:"))

        r = try CLI.run(["tokenize", "--json", "a photo of a cat", "--model", model.path])
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), #"{"ids":[49406,320,1125,539,320,2368,49407]}"#)

        r = try CLI.run([
            "model", "check", "--model", CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/xclip-tiny").path,
            "--reference", CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/xclip-tiny/io.safetensors").path, "--json",
        ])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.json.last?["failed"] as? Int, 0)
        r = try CLI.run([
            "model", "check", "--model", CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/xclip-tiny").path,
            "--reference", CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/xclip-tiny/io.safetensors").path,
            "--tolerance", "1e-9",
        ])
        XCTAssertEqual(r.status, 1, "a tolerance no float computation meets")
    }
}
