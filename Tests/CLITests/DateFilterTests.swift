import Foundation
import TestSupport
import VideoIndex
import XCTest

/// Filters by when a video was made (its creation_time, else its file's mtime) and by length,
/// from the command line and over HTTP.
final class DateFilterTests: XCTestCase {
    func testAfterBeforeAndDurationKeepOnlyTheirVideos() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let tagged = dir.appendingPathComponent("tagged.mp4").path, untagged = dir.appendingPathComponent("untagged.mp4").path
        let short = dir.appendingPathComponent("short.mp4").path
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=96x72:r=8:d=9", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-metadata", "creation_time=2020-03-01T10:00:00Z", tagged,
        ])
        try makeClip(untagged, color: "red", seconds: 9)
        try makeClip(short, color: "blue", seconds: 3)
        let june2023 = Date(timeIntervalSince1970: 1_686_830_400)  // 2023-06-15T12:00:00Z
        for path in [untagged, short] { try FileManager.default.setAttributes([.modificationDate: june2023], ofItemAtPath: path) }
        let index = dir.appendingPathComponent("index").path
        XCTAssertEqual(try CLI.run(["index", tagged, untagged, short, "--index", index, "--model", model.path]).status, 0)

        func files(_ extra: [String]) throws -> Set<String> {
            let r = try CLI.run(["search", "a box", "--index", index, "--model", model.path, "--json", "-k", "50"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return Set(r.json.map { URL(fileURLWithPath: $0["path"] as! String).lastPathComponent })
        }
        XCTAssertEqual(try files([]), ["tagged.mp4", "untagged.mp4", "short.mp4"])
        XCTAssertEqual(try files(["--before", "2021-01-01"]), ["tagged.mp4"], "the container's creation_time, not the file's mtime")
        XCTAssertEqual(try files(["--after", "2023-06-15"]), ["untagged.mp4", "short.mp4"], "the mtime when there is no creation_time")
        XCTAssertEqual(try files(["--after", "2020-03-01", "--before", "2020-03-01"]), ["tagged.mp4"], "a day includes all of itself")
        XCTAssertEqual(try files(["--min-duration", "5"]), ["tagged.mp4", "untagged.mp4"])
        XCTAssertEqual(try files(["--max-duration", "5"]), ["short.mp4"])
        XCTAssertEqual(try files(["--after", "2030-01-01"]), [])
        XCTAssertEqual(try CLI.run(["search", "a box", "--after", "someday", "--index", index, "--model", model.path]).status, 2)

        let server = try RunningServer(self, arguments: ["--index", index, "--model", model.path])
        let hits = try XCTUnwrap(try server.get("/api/search?q=a%20box&k=50&before=2021-01-01").json["hits"] as? [[String: Any]])
        XCTAssertEqual(Set(hits.compactMap { $0["file"] as? String }), ["tagged.mp4"])
        XCTAssertEqual(try server.get("/api/search?q=a%20box&after=soon").status, 400)
        let videos = try XCTUnwrap(try server.get("/api/videos").json["videos"] as? [[String: Any]])
        let tag = try XCTUnwrap(videos.first { $0["file"] as? String == "tagged.mp4" })
        XCTAssertEqual(tag["date"] as? Double, 1_583_056_800)
        XCTAssertEqual(tag["date_source"] as? String, "creation_time")
        XCTAssertEqual(videos.first { $0["file"] as? String == "short.mp4" }?["date_source"] as? String, "mtime")
    }

    /// A record made before dates were kept (no creation_time asked for) gets its date from the
    /// file's header on the next `vidsearch index` over it, with nothing encoded again.
    func testRecordsFromBeforeDatesAreReadOnceWithoutEncoding() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let tagged = dir.appendingPathComponent("tagged.mp4").path
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=96x72:r=8:d=9", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-metadata", "creation_time=2020-03-01T10:00:00Z", tagged,
        ])
        let index = dir.appendingPathComponent("index").path
        XCTAssertEqual(try CLI.run(["index", tagged, "--index", index, "--model", model.path]).status, 0)
        do {  // rewritten as an older vidsearch wrote it
            let store = try IndexStore(writingAt: URL(fileURLWithPath: index), model: nil)
            var record = try XCTUnwrap(try store.video(path: tagged))
            let segments = try XCTUnwrap(try store.encodedSegments(of: record))
            record.recorded = nil
            record.dateRead = nil
            _ = try store.put(video: record, segments: segments)
        }
        func before2021() throws -> Int {
            try CLI.run(["search", "a box", "--before", "2021-01-01", "--index", index, "--model", model.path, "--json"]).json.count
        }
        XCTAssertEqual(try before2021(), 0, "an old record is dated by its file's mtime (now)")
        let vectors = try CLI.run(["export", "--vectors", "--index", index]).stdout
        let again = try CLI.run(["index", tagged, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(again.json.first?["status"] as? String, "skipped", "nothing encoded")
        XCTAssertGreaterThan(try before2021(), 0, "its creation_time was read")
        XCTAssertEqual(try CLI.run(["export", "--vectors", "--index", index]).stdout, vectors)
        XCTAssertEqual(try CLI.run(["verify", "--index", index]).status, 0)
    }
}
