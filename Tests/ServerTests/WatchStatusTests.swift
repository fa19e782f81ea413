import Foundation
import Ingest
import XCTest

@testable import Server

/// /api/status says which watched folders are offline and why, until they are back.
final class WatchStatusTests: XCTestCase {
    func testAnOfflineFolderIsReportedUntilItIsBack() throws {
        let status = WatchStatus(folders: ["/mnt/usb", "/home/v"])
        XCTAssertFalse(status.apply(.started(folders: ["/mnt/usb", "/home/v"], inotify: true)))
        XCTAssertNil(status.state.offline)
        XCTAssertFalse(status.apply(.offline(folder: "/mnt/usb", reason: "it is missing (an unmounted disk or share?)")))
        let offline = try XCTUnwrap(status.state.offline)
        XCTAssertEqual(offline.map(\.folder), ["/mnt/usb"])
        XCTAssertEqual(offline.first?.reason, "it is missing (an unmounted disk or share?)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = String(decoding: try encoder.encode(status.state), as: UTF8.self)
        XCTAssertTrue(encoded.contains(#""offline":[{"folder":"\/mnt\/usb","reason":"#), encoded)
        XCTAssertFalse(status.apply(.online(folder: "/mnt/usb")))
        XCTAssertNil(status.state.offline)
    }
}
