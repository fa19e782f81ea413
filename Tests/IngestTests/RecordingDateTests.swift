import Ingest
import XCTest

/// creation_time as FFmpeg and cameras write it, and dates as users type them.
final class RecordingDateTests: XCTestCase {
    func testFormatsAreReadAsUTCUnlessTheySayOtherwise() {
        XCTAssertEqual(RecordingDate.parse("2024-05-01T12:30:00.000000Z"), 1_714_566_600)
        XCTAssertEqual(RecordingDate.parse("2024-05-01T12:30:00Z"), 1_714_566_600)
        XCTAssertEqual(RecordingDate.parse("2024-05-01T14:30:00+02:00"), 1_714_566_600)
        XCTAssertEqual(RecordingDate.parse("2024-05-01 12:30:00"), 1_714_566_600)
        XCTAssertEqual(RecordingDate.parse("2024-05-01"), 1_714_521_600)
        XCTAssertEqual(RecordingDate.parse("1714566600"), 1_714_566_600)
        XCTAssertEqual(RecordingDate.bound("2024-05-01", endOfDay: true)!, 1_714_521_600 + 86_399.999, accuracy: 0.001)
        XCTAssertEqual(RecordingDate.bound("2024-05-01T00:00:00Z", endOfDay: true), 1_714_521_600, "a time is taken as given")
        // Ten digits are seconds, not a day: no day is added to them.
        XCTAssertEqual(RecordingDate.bound("1714566600", endOfDay: true), 1_714_566_600)
        XCTAssertEqual(RecordingDate.bound(" 1714566600 ", endOfDay: true), 1_714_566_600)
        XCTAssertEqual(RecordingDate.bound("1714566600", endOfDay: false), 1_714_566_600)
    }

    func testNonsenseAndClocklessCamerasGiveNoDate() {
        for text in ["", "yesterday", "2024-13-45", "1970-01-01T00:00:00Z", "1904-01-01T00:00:00Z", String(repeating: "9", count: 100)] {
            XCTAssertNil(RecordingDate.parse(text), text)
        }
    }
}
