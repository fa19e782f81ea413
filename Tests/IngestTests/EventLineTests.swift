import Foundation
import XCTest

@testable import Ingest

/// The JSON lines other programs read are typed and versioned: each event survives a round trip,
/// a line of another version (or none) is refused by name, and the lines keep their documented
/// field names (what the Ray driver and `serve --watch` read).
final class EventLineTests: XCTestCase {
    func testWatchEventsRoundTripWithTheirVersion() throws {
        var failed = IndexRun.FileResult(path: "/v/bad.mp4", outcome: .failed, detail: "not a video FFmpeg can read")
        failed.partial = false
        var indexed = IndexRun.FileResult(
            path: "/v/a.mp4", outcome: .indexed, segments: 3, duration: 12.5, detail: "a.en.srt: 1 malformed cue skipped")
        indexed.cues = 4
        indexed.partial = true
        let events: [WatchEvent] = [
            .started(folders: ["/v"], inotify: true), .waiting(files: 2), .encoding(path: "/v/a.mp4", duration: 12.5),
            .file(FileEvent(indexed, event: "file")), .file(FileEvent(failed, event: "file")), .removed(path: "/v/old.mp4"),
            .offline(folder: "/mnt/usb", reason: "it is missing"), .online(folder: "/mnt/usb"), .committed,
        ]
        for event in events {
            let line = EventLine.encode(event)
            XCTAssertTrue(line.contains(#""version":1"#), line)
            XCTAssertEqual(try EventLine.decode(WatchEvent.self, from: Data(line.utf8)), event, line)
        }
        XCTAssertEqual(
            EventLine.encode(FileEvent(indexed)),
            #"{"cues":4,"detail":"a.en.srt: 1 malformed cue skipped","duration":12.5,"partial":true,"path":"/v/a.mp4","segments":3,"status":"indexed","version":1}"#
        )
        XCTAssertEqual(
            EventLine.encode(FileEvent(failed)),
            #"{"duration":0,"error":"not a video FFmpeg can read","path":"/v/bad.mp4","segments":0,"status":"failed","version":1}"#)
        XCTAssertEqual(EventLine.encode(WatchEvent.committed), #"{"event":"committed","version":1}"#)
        XCTAssertEqual(
            EventLine.encode(PlanSummary(encode: 1, skip: 2, move: 0, fail: 0, seconds: 4)),
            #"{"encode":1,"fail":0,"move":0,"seconds":4,"skip":2,"summary":true,"version":1}"#)
    }

    func testALineOfAnotherVersionIsRefusedByName() {
        for (line, found) in [(#"{"event":"committed","version":2}"#, "2"), (#"{"event":"committed"}"#, "none")] {
            XCTAssertThrowsError(try EventLine.decode(WatchEvent.self, from: Data(line.utf8))) { error in
                XCTAssertEqual("\(error)", "an event line of version \(found); this vidsearch reads version 1")
            }
        }
        XCTAssertThrowsError(try EventLine.decode(WatchEvent.self, from: Data(#"{"event":"exploded","version":1}"#.utf8)))
        XCTAssertEqual(
            EventLine.encode(WatchEvent.encoding(path: "/v", duration: .nan)), #"{"error":"this line could not be written as JSON","version":1}"#)
    }
}
