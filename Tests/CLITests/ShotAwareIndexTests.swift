import Foundation
import TestSupport
import XCTest

/// Shot-aware segments through the binary: a video with a hard cut is cut at it, the cut is
/// stored, and an index made without cuts (as every index before them was) still opens and
/// searches, and its next default run encodes the video again with cuts.
final class ShotAwareIndexTests: XCTestCase {
    func testCutsAreStoredAndAnIndexWithoutThemIsEncodedAgain() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let video = dir.appendingPathComponent("two-shots.mp4").path
        // A test card for 3 s, then colour bars for 6 s: one hard cut at 3 s.
        try ffmpeg([
            "-filter_complex",
            "testsrc2=s=160x90:r=25:d=3,format=yuv420p,setsar=1[a];smptebars=s=160x90:r=25:d=6,format=yuv420p,setsar=1[b];[a][b]concat=n=2:v=1:a=0[out]",
            "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", video,
        ])
        let index = dir.appendingPathComponent("index").path
        func segments() throws -> [[Double]] {
            let export = try CLI.run(["export", "--index", index])
            XCTAssertEqual(export.status, 0, export.stderr)
            return export.json.compactMap { row in (row["start"] as? Double).flatMap { s in (row["end"] as? Double).map { [s, $0] } } }
                .sorted { $0[0] < $1[0] }
        }
        func listed() throws -> [String: Any] {
            let list = try CLI.run(["list", "--index", index, "--json"])
            XCTAssertEqual(list.status, 0, list.stderr)
            return try XCTUnwrap(list.json.first)
        }

        // As before cuts: fixed windows, no cuts recorded.
        let old = try CLI.run(["index", video, "--index", index, "--model", model.path, "--no-cuts", "--json"])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertEqual(try segments(), [[0, 4], [4, 9]])
        XCTAssertNil(try listed()["cuts"])
        let search = try CLI.run(["search", "a video", "--index", index, "--model", model.path, "--per-video", "--json"])
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertFalse(search.json.isEmpty, "an index without cuts still searches: \(search.stdout)")
        // --no-cuts again: unchanged, skipped.
        let again = try CLI.run(["index", video, "--index", index, "--model", model.path, "--no-cuts", "--json"])
        XCTAssertEqual(again.json.first { $0["path"] as? String == video }?["status"] as? String, "skipped", again.stdout)

        // The default run encodes it again, with its cut.
        let new = try CLI.run(["index", video, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(new.status, 0, new.stderr)
        XCTAssertEqual(new.json.first { $0["path"] as? String == video }?["status"] as? String, "indexed", new.stdout)
        let cuts = try XCTUnwrap(try listed()["cuts"] as? [Double])
        XCTAssertEqual(cuts.count, 1, "\(cuts)")
        XCTAssertEqual(cuts[0], 3, accuracy: 0.05)
        XCTAssertEqual(try segments().map { $0.map { ($0 * 100).rounded() / 100 } }, [[0, 3], [3, 7], [5, 9]])
        let verify = try CLI.run(["verify", "--index", index])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        // And now a default run skips it.
        let skip = try CLI.run(["index", video, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(skip.json.first { $0["path"] as? String == video }?["status"] as? String, "skipped", skip.stdout)
    }
}
