import Foundation
import TestSupport
import VideoIndex
import XCTest

@testable import Ingest

/// Text subtitle streams inside the container, as FFmpeg muxes them: SubRip and ASS in MKV,
/// mov_text in MP4, each with its language; styling stripped.
final class SubtitleStreamTests: XCTestCase {
    func testSubRipAndASSInMKVAndMovTextInMP4() throws {
        let dir = try temporaryDirectory(self)
        let srt = dir.appendingPathComponent("s.srt").path
        try "1\n00:00:00,500 --> 00:00:01,500\n<i>Good boy</i>, fetch!\n\n2\n00:00:02,000 --> 00:00:03,000\nThe frisbee\n"
            .write(toFile: srt, atomically: true, encoding: .utf8)
        let ass = dir.appendingPathComponent("s.ass").path
        try """
        [Script Info]
        ScriptType: v4.00+

        [V4+ Styles]
        Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
        Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

        [Events]
        Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
        Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\i1}Bonjour{\\i0}, le monde\\Nencore
        """.write(toFile: ass, atomically: true, encoding: .utf8)
        let video = dir.appendingPathComponent("v.mkv").path
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=64x48:r=8:d=4", "-i", srt, "-i", ass, "-map", "0", "-map", "1", "-map", "2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:s:0", "srt", "-c:s:1", "ass",
            "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fra", video,
        ])
        let mkv = SubtitleReader.read(video: video)
        XCTAssertEqual(mkv.sources.map(\.format), ["subrip", "ass"])
        XCTAssertEqual(mkv.sources.map(\.language), ["eng", "fra"])
        XCTAssertEqual(mkv.cues.map(\.text), ["Good boy, fetch!", "Bonjour, le monde encore", "The frisbee"])
        XCTAssertEqual(mkv.cues.map(\.start), [0.5, 1, 2])
        XCTAssertEqual(mkv.cues.map(\.end), [1.5, 2.5, 3])
        XCTAssertEqual(SubtitleReader.notes(mkv), [])

        let mp4 = dir.appendingPathComponent("v.mp4").path
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=64x48:r=8:d=4", "-i", srt, "-map", "0", "-map", "1",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:s", "mov_text", "-metadata:s:s:0", "language=deu", mp4,
        ])
        let movText = SubtitleReader.read(video: mp4)
        XCTAssertEqual(movText.sources.map(\.format), ["mov_text"])
        XCTAssertEqual(movText.cues.map { movText.language(of: $0) }, ["deu", "deu"])
        XCTAssertEqual(movText.cues.map(\.text), ["Good boy, fetch!", "The frisbee"])
        XCTAssertEqual(movText.cues.map(\.start), [0.5, 2])

        // A file without subtitle streams: nothing, no notes.
        let plain = dir.appendingPathComponent("plain.mp4").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x48:r=8:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", plain])
        XCTAssertEqual(SubtitleReader.read(video: plain), VideoSubtitles())
    }
}
