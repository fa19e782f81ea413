import Foundation
import TestSupport
import VideoIndex
import XCTest

@testable import Ingest

/// Every bad-input case of subtitle files costs a cue and a note, never the video: malformed
/// cues, times out of order or negative, other encodings, invalid UTF-8, styling tags, a file far
/// too large, JSON that is not a transcript.
final class SubtitleParsingTests: XCTestCase {
    func testSRTWithMalformedBackwardsNegativeAndOutOfOrderCues() {
        let srt = """
            1
            00:00:05,000 --> 00:00:06,500
            <i>Second</i> line, <font color="#ff0000">red</font> &amp; bold

            2
            00:00:01,000 --> 00:00:02,000
            First line
            over two rows

            no time here

            4
            00:00:03,000 --> 00:00:02,000
            backwards

            5
            -00:00:01,000 --> 00:00:00,500
            negative

            6
            00:00:0x,000 --> 00:00:09,000
            garbled time
            """
        let (cues, notes) = SRTParser.parse(srt.replacingOccurrences(of: "\n", with: "\r\n"))
        XCTAssertEqual(
            cues,
            [
                .init(start: 1, end: 2, text: "First line over two rows"),
                .init(start: 5, end: 6.5, text: "Second line, red & bold"),
            ])
        XCTAssertEqual(
            notes,
            [
                "2 malformed cues skipped (line 10, 20)", "1 cue with a negative time skipped",
                "1 cue ending before its start skipped", "cues out of time order: sorted",
            ])
    }

    func testWebVTTSkipsNotesAndStylesAndReadsSettingsAndVoices() {
        let vtt = """
            WEBVTT - a title

            NOTE a comment
            over lines

            STYLE
            ::cue { color: yellow }

            intro
            00:01.000 --> 00:02.500 align:start position:10%
            <v Roger>Hello <c.loud>there</c></v>

            01:00:00.000 --> 01:00:01.000
            <00:00:00.500>an hour <b>in</b>
            """
        let (cues, notes) = WebVTTParser.parse(vtt)
        XCTAssertEqual(cues, [.init(start: 1, end: 2.5, text: "Hello there"), .init(start: 3600, end: 3601, text: "an hour in")])
        XCTAssertEqual(notes, [])
        XCTAssertEqual(WebVTTParser.parse("00:01.000 --> 00:02.000\nno header").notes, ["no WEBVTT header: read as WebVTT anyway"])
    }

    /// Cues written without a blank line before their timing line (SRT from some tools; vtt.js's
    /// cue-spacing case; youtube-dl's .vtt) are cues of their own, as FFmpeg and pysubs2 read
    /// them: "juliet" was placed at 1.0 s, in the cue before it.
    func testATimingLineWithoutABlankLineBeforeItStartsACue() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nromeo\n2\n00:00:05,000 --> 00:00:06,000\njuliet\n3\n00:00:07,000 --> 00:00:08,000\n42\n"
        XCTAssertEqual(
            SRTParser.parse(srt).cues,
            [.init(start: 1, end: 2, text: "romeo"), .init(start: 5, end: 6, text: "juliet"), .init(start: 7, end: 8, text: "42")])
        let vtt = """
            WEBVTT
            00:00.000 --> 00:01.000
            one
            00:01.000 --> 00:02.000 align:start position:0%
            two
            line two
            id-3
            00:02.000 --> 00:03.000
            Oh my! >
            """
        XCTAssertEqual(
            WebVTTParser.parse(vtt).cues,
            [
                .init(start: 0, end: 1, text: "one"), .init(start: 1, end: 2, text: "two line two id-3"),
                .init(start: 2, end: 3, text: "Oh my! >"),
            ])
    }

    func testASSOverrideTagsAndEscapesAreStripped() {
        XCTAssertEqual(SubtitleMarkup.plain(#"{\an8}{\i1}Hello{\i0}\Nworld\hagain {\pos(10,20)\c&H00FF00&}x"#), "Hello world again x")
        XCTAssertEqual(SubtitleStreamReader.dialogueText("0,0,Default,,0,0,0,,{\\b1}Text, with, commas"), "{\\b1}Text, with, commas")
        XCTAssertEqual(SubtitleStreamReader.dialogueText("Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Old style"), "Old style")
        XCTAssertEqual(SubtitleMarkup.plain("a < b and 3 > 2"), "a < b and 3 > 2", "a lone < is text, not a tag")
    }

    func testEncodings() {
        let words = "Café déjà vu — “quoted” €5"
        // Windows-1252 (and Latin-1, its subset here): not UTF-8, read as Windows-1252.
        let cp1252: [UInt8] =
            Array("Caf".utf8) + [0xE9] + Array(" d".utf8) + [0xE9] + Array("j".utf8) + [0xE0]
            + Array(" vu ".utf8) + [0x97, 0x20, 0x93] + Array("quoted".utf8) + [0x94, 0x20, 0x80, 0x35]
        XCTAssertEqual(SubtitleText.decode(cp1252).text, words)
        XCTAssertEqual(SubtitleText.decode(cp1252).encoding, "windows-1252")
        // UTF-16 with a byte-order mark, both ends.
        let le: [UInt8] = [0xFF, 0xFE] + words.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be: [UInt8] = [0xFE, 0xFF] + words.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        XCTAssertEqual(SubtitleText.decode(le).text, words)
        XCTAssertEqual(SubtitleText.decode(be).text, words)
        XCTAssertEqual(SubtitleText.decode(le).note, "read as UTF-16 (byte-order mark)")
        // UTF-8 with a BOM: no note. UTF-8 with two bad bytes among good text: replaced.
        XCTAssertEqual(SubtitleText.decode([0xEF, 0xBB, 0xBF] + Array(words.utf8)).text, words)
        XCTAssertNil(SubtitleText.decode(Array(words.utf8)).note)
        let damaged = Array(words.utf8) + [0xFF] + Array(" und Grüße ".utf8) + [0xC3] + Array("!".utf8)
        let (text, note, _) = SubtitleText.decode(damaged)
        XCTAssertEqual(text, words + "\u{FFFD} und Grüße \u{FFFD}!")
        XCTAssertEqual(note, "invalid UTF-8 at 2 places: replaced with U+FFFD")
    }

    /// Sidecars in the code pages subtitles are still written in (no mark of their encoding) read
    /// as their text, each naming the encoding it was read in: they came out as Windows-1252
    /// mojibake, and UTF-16 without a byte-order mark as 0 cues.
    func testSidecarsInOtherEncodingsReadAsTheirText() throws {
        let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/encodings")
        let expected = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as? [String: [String]])
        XCTAssertEqual(expected.count, 12)
        for (name, lines) in expected.sorted(by: { $0.key < $1.key }) {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(name).srt")))
            let (text, note, encoding) = SubtitleText.decode(bytes)
            let cues = SRTParser.parse(text).cues
            XCTAssertEqual(cues.map(\.text), lines, "\(name): read as \(encoding) (\(note ?? ""))")
            XCTAssertNotEqual(encoding, "windows-1252", name)
        }
    }

    func testWhisperJSON() throws {
        let json =
            #"{"text": " Hi. Bye.", "language": "en", "segments": [{"id": 0, "start": 0.0, "end": 1.5, "text": " Hi."},"#
            + #" {"id": 1, "start": "x", "end": 3, "text": "bad"}, {"id": 2, "start": 2.0, "end": 3.25, "text": " Bye."}]}"#
        let parsed = try XCTUnwrap(WhisperTranscript.parse(Array(json.utf8)))
        XCTAssertEqual(parsed.cues, [.init(start: 0, end: 1.5, text: "Hi."), .init(start: 2, end: 3.25, text: "Bye.")])
        XCTAssertEqual(parsed.language, "en")
        XCTAssertEqual(parsed.notes, ["1 malformed cue skipped (segment 2)"])
        XCTAssertNil(WhisperTranscript.parse(Array(#"{"model": "something else"}"#.utf8)))
        XCTAssertNil(WhisperTranscript.parse(Array("not json".utf8)))
    }

    func testSidecarsBesideAVideoWithEveryKindOfTrouble() throws {
        let dir = try temporaryDirectory(self)
        let video = dir.appendingPathComponent("talk.mp4").path
        FileManager.default.createFile(atPath: video, contents: Data("not read here".utf8))
        func write(_ name: String, _ bytes: [UInt8]) {
            FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data(bytes))
        }
        write("talk.en.srt", Array("1\n00:00:01,000 --> 00:00:02,000\nHello\n".utf8))
        write("talk.de.vtt", [0xFF, 0xFE] + "WEBVTT\n\n00:03.000 --> 00:04.000\nGrüße\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        write("talk.json", Array(#"{"language": "fr", "segments": [{"start": 5, "end": 6, "text": "Bonjour"}]}"#.utf8))
        write("talk.notes.srt", Array("1\n00:00:01,000 --> 00:00:02,000\nnot a language tag: not a sidecar\n".utf8))
        write("talkative.srt", Array("1\n00:00:01,000 --> 00:00:02,000\nanother video's\n".utf8))
        write("talk.fr.srt", [0x00, 0xD8, 0xFF, 0x01])  // garbage: no cues, noted
        // A 100 MB file (sparse: the size alone refuses it, nothing is read).
        let huge = dir.appendingPathComponent("talk.es.srt").path
        FileManager.default.createFile(atPath: huge, contents: nil)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: huge))
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()

        let subtitles = SubtitleReader.read(video: video)
        XCTAssertEqual(subtitles.cues.map(\.text), ["Hello", "Grüße", "Bonjour"])
        XCTAssertEqual(subtitles.cues.map { subtitles.language(of: $0) }, ["en", "de", "fr"])
        XCTAssertEqual(subtitles.sidecars.map(\.name), ["talk.de.vtt", "talk.en.srt", "talk.es.srt", "talk.fr.srt", "talk.json"])
        let notes = SubtitleReader.notes(subtitles)
        XCTAssertTrue(notes.contains("talk.es.srt: too large (100 MiB; the limit is 16 MiB): not read"), "\(notes)")
        XCTAssertTrue(notes.contains("talk.de.vtt: read as UTF-16 (byte-order mark)"), "\(notes)")
        XCTAssertTrue(notes.contains { $0.hasPrefix("talk.fr.srt: ") }, "\(notes)")
        XCTAssertEqual(subtitles.sources.first { $0.name == "talk.fr.srt" }?.cues, 0)
    }
}
