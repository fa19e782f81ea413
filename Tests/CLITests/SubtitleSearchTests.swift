import Foundation
import TestSupport
import VideoIndex
import XCTest

/// Subtitles through the binary: an embedded stream and sidecars are found by `search`, fused
/// with the pictures; a sidecar edited after indexing is read again without encoding the video;
/// a deleted or damaged text cache is rebuilt from LMDB; `verify` checks it all.
final class SubtitleSearchTests: XCTestCase {
    func testEmbeddedAndSidecarSubtitlesSearchedFusedAndKeptCurrent() throws {
        let dir = try temporaryDirectory(self)
        let model = try tinyModel(self)
        let footage = dir.appendingPathComponent("footage")
        try FileManager.default.createDirectory(at: footage, withIntermediateDirectories: true)
        // Three clips of 8 s (two 4 s segments each): one with a SubRip stream, one with a
        // sidecar, one with nothing said.
        let srt = dir.appendingPathComponent("stream.srt").path
        try "1\n00:00:05,000 --> 00:00:06,000\nThe zebra crossing is closed\n".write(toFile: srt, atomically: true, encoding: .utf8)
        let embedded = footage.appendingPathComponent("embedded.mkv").path
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=96x72:r=8:d=8", "-i", srt, "-map", "0", "-map", "1", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-c:s", "srt", "-metadata:s:s:0", "language=eng", embedded,
        ])
        let sidecarVideo = footage.appendingPathComponent("talk.mp4").path
        try makeClip(sidecarVideo, color: "red", seconds: 8)
        let sidecar = footage.appendingPathComponent("talk.en.srt").path
        try "1\n00:00:01,000 --> 00:00:02,000\nWelcome to the <b>harbour</b> tour\n".write(toFile: sidecar, atomically: true, encoding: .utf8)
        try makeClip(footage.appendingPathComponent("silent.mp4").path, color: "blue", seconds: 8)
        // A Russian sidecar in cp1251, with nothing to say so but its bytes.
        let russian = footage.appendingPathComponent("winter.mp4").path
        try makeClip(russian, color: "white", seconds: 8)
        try FileManager.default.copyItem(
            at: CLI.repository.appendingPathComponent("Tests/IngestTests/Fixtures/encodings/ru-cp1251.srt"),
            to: footage.appendingPathComponent("winter.ru.srt"))
        let index = dir.appendingPathComponent("index").path
        let first = try CLI.run(["index", footage.path, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)

        func search(_ query: String, _ extra: [String] = []) throws -> [[String: Any]] {
            let result = try CLI.run(["search", query, "--index", index, "--model", model.path, "--json"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.json
        }
        // The stream's line, in the second segment (4-8 s), with its words marked.
        let zebra = try search("zebra", ["--speech"])
        XCTAssertEqual(zebra.count, 1, "\(zebra)")
        XCTAssertEqual(zebra.first?["path"] as? String, embedded)
        XCTAssertEqual(zebra.first?["start"] as? Double, 4)
        let line = try XCTUnwrap(zebra.first?["speech"] as? [String: Any])
        XCTAssertEqual(line["parts"] as? [String], ["The ", "zebra", " crossing is closed"])
        XCTAssertEqual(line["language"] as? String, "eng")
        XCTAssertEqual(line["start"] as? Double, 5)
        XCTAssertEqual(zebra.first?["signals"] as? [String], ["speech"])

        // `list --json` names each video's tracks, with their notes.
        let listed = try CLI.run(["list", "--index", index, "--json"]).json
        let talkTracks = try XCTUnwrap(
            (listed.first { $0["path"] as? String == sidecarVideo }?["subtitles"] as? [String: Any])?["tracks"] as? [[String: Any]])
        XCTAssertEqual(talkTracks.map { $0["name"] as? String }, ["talk.en.srt"])
        XCTAssertEqual(talkTracks.first?["language"] as? String, "en")
        XCTAssertEqual(talkTracks.first?["encoding"] as? String, "UTF-8")
        let winterTracks = (listed.first { $0["path"] as? String == russian }?["subtitles"] as? [String: Any])?["tracks"] as? [[String: Any]]
        XCTAssertEqual(winterTracks?.first?["encoding"] as? String, "windows-1251", "\(String(describing: winterTracks))")
        let winter = try search("холодная зима", ["--speech"])
        XCTAssertEqual(winter.first?["path"] as? String, russian, "\(winter)")
        XCTAssertEqual(((listed.first { $0["path"] as? String == embedded }?["subtitles"] as? [String: Any])?["lines"] as? Int), 1)

        // Fused: the segment both signals find is first; the rest come from the pictures alone.
        let both = try search("harbour", ["-k", "6"])
        XCTAssertEqual(both.count, 6)
        XCTAssertEqual(both.first?["path"] as? String, sidecarVideo)
        XCTAssertEqual(both.first?["signals"] as? [String], ["visual", "speech"])
        XCTAssertTrue(both.dropFirst().allSatisfy { $0["signals"] as? [String] == ["visual"] }, "\(both)")
        XCTAssertNotNil(both.first?["visual_score"] as? Double)
        // The pictures alone: cosine scores, no line.
        let visual = try search("harbour", ["--visual", "-k", "6"])
        XCTAssertTrue(visual.allSatisfy { $0["speech"] == nil && ($0["score"] as? Double).map { (-1...1).contains($0) } == true }, "\(visual)")
        // An exact phrase: in that order only.
        XCTAssertEqual(try search(#""the harbour tour""#, ["--speech"]).count, 1)
        XCTAssertEqual(try search(#""tour harbour""#, ["--speech"]).count, 0)

        // The sidecar is edited: only the text is read again, the vectors stay.
        let segmentsBefore = try CLI.run(["export", "--index", index]).json.compactMap { $0["segment"] as? Int }.sorted()
        Thread.sleep(forTimeInterval: 0.01)
        try "1\n00:00:05,500 --> 00:00:06,500\nThe lighthouse is open\n".write(toFile: sidecar, atomically: true, encoding: .utf8)
        let second = try CLI.run(["index", footage.path, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let talk = try XCTUnwrap(second.json.first { $0["path"] as? String == sidecarVideo })
        XCTAssertEqual(talk["status"] as? String, "skipped")
        XCTAssertEqual(talk["detail"] as? String, "unchanged; subtitles read again (1 cue)")
        XCTAssertEqual(try CLI.run(["export", "--index", index]).json.compactMap { $0["segment"] as? Int }.sorted(), segmentsBefore)
        XCTAssertEqual(try search("harbour", ["--speech"]).count, 0)
        let lighthouse = try search("lighthouse", ["--speech"])
        XCTAssertEqual(lighthouse.first?["path"] as? String, sidecarVideo)
        XCTAssertEqual(lighthouse.first?["start"] as? Double, 4)
        // And a third run reads nothing.
        let third = try CLI.run(["index", footage.path, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(third.json.first { $0["path"] as? String == sidecarVideo }?["detail"] as? String, "unchanged")
        var verify = try CLI.run(["verify", "--index", index])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)

        // The filters hold for lines too, and --per-video keeps the line of its moment's peak.
        XCTAssertEqual(try search("lighthouse", ["--speech", "--path", "*/silent.mp4"]).count, 0)
        XCTAssertEqual(try search("lighthouse", ["--speech", "--path", "*/talk.mp4"]).count, 1)
        XCTAssertEqual(try search("lighthouse", ["--speech", "--min-duration", "100"]).count, 0)
        XCTAssertEqual(try search("lighthouse", ["--speech", "--max-duration", "100"]).count, 1)
        let moment = try XCTUnwrap(try search("lighthouse", ["--per-video"]).first)
        XCTAssertEqual(moment["path"] as? String, sidecarVideo)
        XCTAssertEqual((moment["speech"] as? [String: Any])?["start"] as? Double, 5.5)
        XCTAssertTrue((moment["start"] as? Double ?? 99) <= 5.5 && (moment["end"] as? Double ?? 0) >= 6.5, "\(moment)")

        // The text cache deleted, then damaged: searches rebuild it from LMDB and say so.
        let cache = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: index).first { $0.hasPrefix("text-g") && $0.hasSuffix(".sqlite") })
        let cachePath = "\(index)/\(cache)"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: cachePath))
        bytes[bytes.count - 100] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: cachePath))
        verify = try CLI.run(["verify", "--index", index])
        XCTAssertNotEqual(verify.status, 0, "verify finds the damaged text cache")
        XCTAssertTrue((verify.stdout + verify.stderr).contains("text cache \(cache): checksum mismatch"), verify.stdout + verify.stderr)
        var damaged = try CLI.run(["search", "lighthouse", "--speech", "--index", index, "--model", model.path])
        XCTAssertEqual(damaged.status, 0, damaged.stderr)
        XCTAssertTrue(damaged.stderr.contains("text cache \(cache) is checksum mismatch (the file is damaged): rebuilt from LMDB"), damaged.stderr)
        XCTAssertTrue(damaged.stdout.contains("[lighthouse]"), damaged.stdout)
        try FileManager.default.removeItem(atPath: cachePath)
        damaged = try CLI.run(["search", "lighthouse", "--speech", "--index", index, "--model", model.path])
        XCTAssertTrue(damaged.stderr.contains("text cache missing: rebuilt from LMDB"), damaged.stderr)
        XCTAssertTrue(damaged.stdout.contains("[lighthouse]"), damaged.stdout)
        // The next index run writes it again.
        _ = try CLI.run(["index", footage.path, "--index", index, "--model", model.path])
        verify = try CLI.run(["verify", "--index", index])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)

        // An index made before subtitles were kept (records without them): it still searches,
        // and its next run reads every video's text without encoding any video again.
        do {
            let store = try IndexStore(writingAt: URL(fileURLWithPath: index), model: nil)
            for video in try store.videos() {
                var record = video
                record.subtitles = nil
                record.segmentIds = []
                try store.put(video: record, segments: try XCTUnwrap(try store.encodedSegments(of: video)))
            }
            try TextCache.open(store).save(in: store.directory)
        }
        XCTAssertEqual(try search("lighthouse", ["--speech"]).count, 0, "no text stored yet")
        XCTAssertEqual(try search("a red box", ["-k", "1"]).count, 1)
        let upgraded = try CLI.run(["index", footage.path, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(upgraded.status, 0, upgraded.stderr)
        let details = Dictionary(
            uniqueKeysWithValues: upgraded.json.compactMap { row in (row["path"] as? String).map { ($0, row["detail"] as? String ?? "") } })
        XCTAssertEqual(details[sidecarVideo], "unchanged; subtitles read again (1 cue)")
        XCTAssertEqual(details[embedded], "unchanged; subtitles read again (1 cue)")
        XCTAssertEqual(details[footage.appendingPathComponent("silent.mp4").path], "unchanged; subtitles read again (0 cues)")
        XCTAssertEqual(try search("zebra", ["--speech"]).first?["path"] as? String, embedded)
        verify = try CLI.run(["verify", "--index", index])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }
}
