import Foundation
import XCTest

@testable import VideoIndex

/// The full-text cache of subtitle cues: built from LMDB, searched by words, phrases and
/// prefixes with diacritics folded, and, like the vector cache, rebuilt with a notice when it is
/// deleted or damaged and caught up when it is behind; never trusted when its stamp disagrees.
final class TextCacheTests: XCTestCase {
    /// Two videos of three 4 s segments each, with English and German lines.
    func makeStore() throws -> (IndexStore, URL) {
        let (store, directory) = try IndexStoreTests.store(self)
        let english = VideoSubtitles(
            sources: [SubtitleSource(kind: .sidecar, name: "a.en.srt", format: "subrip", language: "en")],
            cues: [
                SubtitleCue(start: 0.5, end: 2, text: "Good boy, fetch the frisbee"),
                SubtitleCue(start: 3, end: 5, text: "The purple elephant dances"),
                SubtitleCue(start: 13, end: 14, text: "after the end"),
            ],
            sidecars: [SidecarStamp(name: "a.en.srt", size: 10, mtime: 1)])
        let german = VideoSubtitles(
            sources: [SubtitleSource(kind: .stream, name: "stream 1", format: "subrip", language: "deu")],
            cues: [SubtitleCue(start: 5, end: 6, text: "Der Hund fängt die Frisbee-Scheibe im Café")])
        try store.put(
            video: VideoRecord(path: "/v/a.mp4", fingerprint: "fa", size: 1, mtime: 0), segments: IndexStoreTests.segments(3, seed: 1),
            subtitles: english)
        try store.put(
            video: VideoRecord(path: "/v/b.mp4", fingerprint: "fb", size: 1, mtime: 0), segments: IndexStoreTests.segments(3, seed: 2),
            subtitles: german)
        return (store, directory)
    }

    func testSearchAssignsCuesToSegmentsAndMarksWords() throws {
        let (store, _) = try makeStore()
        let cache = try TextCache.open(store)
        XCTAssertNil(cache.notice, "a new index's cache is made without a notice")
        XCTAssertEqual(try cache.count(), 4)
        let a = try XCTUnwrap(try store.video(path: "/v/a.mp4")), b = try XCTUnwrap(try store.video(path: "/v/b.mp4"))

        let frisbee = try cache.search(TextQuery("frisbee"), limit: 10)
        XCTAssertEqual(Set(frisbee.map(\.videoId)), [a.id, b.id], "the tokenizer splits Frisbee-Scheibe")
        let good = try cache.search(TextQuery(#""good boy""#), limit: 10)
        XCTAssertEqual(good.count, 1)
        XCTAssertEqual(good[0].segments, [a.segmentIds[0]])
        XCTAssertEqual(good[0].parts, ["", "Good boy", ", fetch the frisbee"])
        XCTAssertEqual(good[0].parts.joined(), good[0].text)
        XCTAssertEqual(good[0].language, "en")
        // A cue over a boundary belongs to both segments; one after the last, to the last.
        XCTAssertEqual(try cache.search(TextQuery("elephant"), limit: 10).first?.segments, [a.segmentIds[0], a.segmentIds[1]])
        XCTAssertEqual(try cache.search(TextQuery(#""after the end""#), limit: 10).first?.segments, [a.segmentIds[2]])
        // Diacritics folded both ways; prefixes; the phrase must be in order.
        XCTAssertEqual(try cache.search(TextQuery("cafe"), limit: 10).map(\.videoId), [b.id])
        XCTAssertEqual(try cache.search(TextQuery("fangt"), limit: 10).map(\.videoId), [b.id])
        XCTAssertEqual(try cache.search(TextQuery("eleph*"), limit: 10).map(\.videoId), [a.id])
        XCTAssertEqual(try cache.search(TextQuery(#""boy good""#), limit: 10), [])
        // Words are alternatives, more of them ranks higher; function words alone are not enough.
        let ranked = try cache.search(TextQuery("frisbee boy"), limit: 10)
        XCTAssertEqual(ranked.map(\.videoId), [a.id, b.id])
        XCTAssertTrue(ranked[0].relevance > ranked[1].relevance, "\(ranked.map(\.relevance))")
        XCTAssertEqual(try cache.search(TextQuery("the purple"), limit: 10).count, 1, "'the' alone matches nothing more")
    }

    func testTypedSyntaxIsNeverFTSSyntax() throws {
        let (store, _) = try makeStore()
        let cache = try TextCache.open(store)
        for text in [
            "NEAR(good boy)", "frisbee OR", "AND", "-frisbee", "col:good", "\"unclosed", "\"\"", "^good", "good + boy", "(((", "*", "good\u{0}boy",
            "\"good\u{0}\"", "\u{0}", "\u{1B}[31m",
        ] {
            XCTAssertNoThrow(try cache.search(TextQuery(text), limit: 10), text)
        }
        XCTAssertEqual(TextQuery(#"a dog "good boy" runs"#), TextQuery(phrases: ["good boy"], words: ["a", "dog", "runs"]))
        // A control character (NUL: FTS5's "unterminated string") separates words.
        XCTAssertEqual(TextQuery("good\u{0}boy \"a\u{0}dog\""), TextQuery(phrases: ["a dog"], words: ["good", "boy"]))
        XCTAssertEqual(TextQuery(#"say "it's" now"#).expression, #""it's""#)
        XCTAssertEqual(TextQuery("a dog runs").expression, #""dog" OR "runs""#)
        XCTAssertEqual(TextQuery("the a").expression, #""the" OR "a""#)
        XCTAssertEqual(TextQuery(#"x"y"#).expression, #""y""#, "a quote inside a word opens a phrase")
        XCTAssertNil(TextQuery("!!! ...").expression)
    }

    func testDeletedDamagedAndStaleCachesAreRebuiltOrCaughtUp() throws {
        let directory: URL
        do {
            let (made, folder) = try makeStore()
            try TextCache.open(made).save(in: folder)
            directory = folder
        }
        // Opened again, as a later run would (the process that made an index has no cache to miss).
        let store = try IndexStore(writingAt: directory, model: IndexStoreTests.model)
        let file = directory.appendingPathComponent("text-g\(store.meta.generation).sqlite")
        XCTAssertTrue(FileManager.default.fileExists(atPath: file.path))
        let reference = try TextCache.open(store).search(TextQuery("frisbee"), limit: 10)
        XCTAssertNil(try TextCache.open(store).notice, "a current, stamped cache opens quietly")

        // Deleted: rebuilt, with a notice, with the same answers.
        try FileManager.default.removeItem(at: file)
        let rebuilt = try TextCache.open(store)
        XCTAssertEqual(rebuilt.notice, "text cache missing: rebuilt from LMDB")
        XCTAssertEqual(try rebuilt.search(TextQuery("frisbee"), limit: 10), reference)
        try rebuilt.save(in: directory)

        // Damaged: one byte changed fails the checksum.
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: file)
        let repaired = try TextCache.open(store)
        XCTAssertEqual(
            repaired.notice, "text cache text-g\(store.meta.generation).sqlite is checksum mismatch (the file is damaged): rebuilt from LMDB")
        XCTAssertEqual(try repaired.search(TextQuery("frisbee"), limit: 10), reference)
        try repaired.save(in: directory)

        // Behind: the subtitles of one video change; the cache catches up to the new text only.
        let a = try XCTUnwrap(try store.video(path: "/v/a.mp4"))
        try store.setSubtitles(
            videoId: a.id,
            VideoSubtitles(
                sources: [SubtitleSource(kind: .sidecar, name: "a.en.srt", format: "subrip")],
                cues: [SubtitleCue(start: 1, end: 2, text: "a new line about a kite")]))
        let caught = try TextCache.open(store)
        XCTAssertEqual(
            caught.notice?.hasPrefix(
                "text cache was at generation \(store.meta.generation - 1), index at \(store.meta.generation): caught up (1 videos read"), true,
            caught.notice ?? "")
        XCTAssertEqual(try caught.search(TextQuery("kite"), limit: 10).map(\.videoId), [a.id])
        XCTAssertEqual(try caught.search(TextQuery("frisbee"), limit: 10).map(\.videoId), [try XCTUnwrap(try store.video(path: "/v/b.mp4")).id])
        XCTAssertEqual(try caught.count(), 2)
        try caught.save(in: directory)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path), "the older generation's file is removed")

        // Removing a video takes its lines out.
        try store.remove(path: "/v/b.mp4")
        XCTAssertEqual(try TextCache.open(store).search(TextQuery("frisbee"), limit: 10), [])
    }

    func testACacheFromAnotherIndexIsNotTrusted() throws {
        let (store, directory) = try makeStore()
        let (other, otherDirectory) = try IndexStoreTests.store(self, videos: 2)
        try TextCache.open(store).save(in: directory)
        // Same generation number, another environment: the stamp names the wrong index.
        XCTAssertEqual(other.meta.generation, store.meta.generation)
        let name = "text-g\(store.meta.generation)"
        for ext in ["sqlite", "stamp"] {
            try FileManager.default.copyItem(
                at: directory.appendingPathComponent("\(name).\(ext)"), to: otherDirectory.appendingPathComponent("\(name).\(ext)"))
        }
        let cache = try TextCache.open(other)
        XCTAssertEqual(cache.notice, "text cache \(name).sqlite is built from another index (its LMDB was made anew): rebuilt from LMDB")
        XCTAssertEqual(try cache.count(), 0)
    }

    func testCommonTermsInALargeArchiveDoNotPickLines() throws {
        let (store, _) = try IndexStoreTests.store(self)
        // 10,000 lines: "often" in 3% of them, "seldom" in 0.5%, both in some.
        let cues = (0..<10_000).map { i -> SubtitleCue in
            var words = ["line", "number", "w\(i)"]
            if i % 33 == 0 { words.append("often") }
            if i % 200 == 7 || i % 990 == 0 { words.append("seldom") }
            return SubtitleCue(start: Double(i), end: Double(i) + 0.5, text: words.joined(separator: " "))
        }
        try store.put(
            video: VideoRecord(path: "/v/long.mp4", fingerprint: "fl", size: 1, mtime: 0), segments: IndexStoreTests.segments(2, seed: 3),
            subtitles: VideoSubtitles(sources: [SubtitleSource(kind: .sidecar, name: "long.srt", format: "subrip")], cues: cues))
        let cache = try TextCache.open(store)
        XCTAssertEqual(try cache.isCommon("often"), true)
        XCTAssertEqual(try cache.isCommon("Seldom"), false)
        XCTAssertEqual(try cache.isCommon("often*"), false, "a prefix is never common")
        // With a rarer word asked, only it picks lines: every hit says "seldom".
        let mixed = try cache.search(TextQuery("often seldom"), limit: 1000)
        XCTAssertEqual(mixed.count, cues.filter { $0.text.contains("seldom") }.count)
        XCTAssertTrue(mixed.allSatisfy { $0.text.contains("seldom") })
        // Alone, a common word's lines come in index order, all of them reachable page by page.
        let first = try cache.search(TextQuery("often"), limit: 100)
        XCTAssertEqual(first.map(\.start), cues.filter { $0.text.contains("often") }.prefix(100).map(\.start))
        XCTAssertEqual(try cache.search(TextQuery("often"), limit: 1000, offset: 100).count, cues.filter { $0.text.contains("often") }.count - 100)
        // Common words together must all be in the line.
        XCTAssertEqual(try cache.search(TextQuery("often line"), limit: 1000).count, cues.filter { $0.text.contains("often") }.count)
        // A quoted phrase is never thinned.
        XCTAssertEqual(try cache.search(TextQuery(#""line number""#), limit: 20_000).count, 10_000)
    }
}
