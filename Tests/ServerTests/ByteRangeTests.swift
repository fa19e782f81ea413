import XCTest

@testable import Server

/// Range headers as browsers and tools send them, resolved against a 1000-byte file.
final class ByteRangeTests: XCTestCase {
    func testRangesResolveAsRFC9110Says() {
        XCTAssertEqual(ByteRange.resolve(nil, size: 1000), .whole)
        XCTAssertEqual(ByteRange.resolve("bytes=0-99", size: 1000), .part(0...99), "the first bytes")
        XCTAssertEqual(ByteRange.resolve("bytes=500-599", size: 1000), .part(500...599), "the middle")
        XCTAssertEqual(ByteRange.resolve("bytes=900-", size: 1000), .part(900...999), "open-ended")
        XCTAssertEqual(ByteRange.resolve("bytes=-100", size: 1000), .part(900...999), "a suffix")
        XCTAssertEqual(ByteRange.resolve("bytes=-5000", size: 1000), .part(0...999), "a suffix longer than the file")
        XCTAssertEqual(ByteRange.resolve("bytes=990-5000", size: 1000), .part(990...999), "an end past the file is clamped")
        XCTAssertEqual(ByteRange.resolve("bytes=0-0, 5-9", size: 1000), .part(0...0), "the first of a list")
        XCTAssertEqual(ByteRange.resolve("items=0-5", size: 1000), .whole, "another unit is ignored")
    }

    func testImpossibleRangesAreUnsatisfiable() {
        for header in ["bytes=1000-", "bytes=2000-3000", "bytes=-0", "bytes=99999999999999999999999-"] {
            XCTAssertEqual(ByteRange.resolve(header, size: 1000), .unsatisfiable, header)
        }
        // Not valid syntax: ignored (RFC 9110 14.2), the whole file with 200, not 416.
        for header in ["bytes=50-10", "bytes=-", "bytes=abc", "bytes=1-2-3", "bytes= x-1", "bytes=١-٢", "bytes"] {
            XCTAssertEqual(ByteRange.resolve(header, size: 1000), .whole, header)
        }
        XCTAssertEqual(ByteRange.resolve("bytes=5-99999999999999999999999", size: 1000), .part(5...999), "a huge end is the file's end")
        XCTAssertEqual(ByteRange.resolve("bytes=0-", size: 0), .unsatisfiable, "nothing to send of an empty file")
    }

    func testOnlyLoopbackServesWithoutAToken() {
        XCTAssertTrue(ServerOptions.isLoopback("127.0.0.1"))
        XCTAssertTrue(ServerOptions.isLoopback("::1"))
        XCTAssertFalse(ServerOptions.isLoopback("0.0.0.0"))
        XCTAssertFalse(ServerOptions.isLoopback("192.168.1.4"))
    }
}
