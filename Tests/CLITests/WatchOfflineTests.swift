import Foundation
import TestSupport
import XCTest

/// A watched folder that disappears (an unmounted USB disk or NFS share looks like this) is
/// offline, not emptied: its videos stay searchable through scans, and when it comes back
/// nothing is encoded again. A deletion under a folder that is present still removes.
final class WatchOfflineTests: XCTestCase {
    func testAFolderThatDisappearsKeepsItsVideosAndComesBackWithoutEncoding() throws {
        let dir = try temporaryDirectory(self)
        let disk = dir.appendingPathComponent("usb"), away = dir.appendingPathComponent("usb-unmounted")
        let other = dir.appendingPathComponent("local")
        let samples = CLI.repository.appendingPathComponent("Samples/demo-clips")
        for folder in [disk, other] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        for (i, name) in ["a.mp4", "b.mp4"].enumerated() {
            try FileManager.default.copyItem(
                at: samples.appendingPathComponent(String(format: "clip-%05d.mp4", i)), to: disk.appendingPathComponent(name))
        }
        let index = dir.appendingPathComponent("index").path, model = CLI.repository.appendingPathComponent("Models/xclip-demo").path
        let watcher = Process()
        watcher.executableURL = CLI.binary
        watcher.arguments = ["watch", disk.path, other.path, "--index", index, "--model", model, "--settle", "0", "--json"]
        let out = Pipe()
        watcher.standardOutput = out
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
        defer {
            watcher.terminate()
            watcher.waitUntilExit()
        }
        let lines = LineReader(out.fileHandleForReading)
        func until(_ what: String, _ match: ([String: Any]) -> Bool) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline, let line = lines.next() {
                if let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], match(json) { return json }
            }
            XCTFail("no \(what) from the watcher")
            return [:]
        }
        func listed() throws -> [String] { try CLI.run(["list", "--index", index, "--json"]).json.compactMap { $0["path"] as? String }.sorted() }

        for _ in 0..<2 { _ = try until("indexed file") { $0["status"] as? String == "indexed" } }
        XCTAssertEqual(try listed().count, 2)

        // Unmounted: reported offline with its reason, and a later scan (woken by a new file in
        // the other folder) removes nothing.
        try FileManager.default.moveItem(at: disk, to: away)
        let offline = try until("offline event") { $0["event"] as? String == "offline" }
        XCTAssertEqual(offline["folder"] as? String, disk.path)
        XCTAssertTrue((offline["reason"] as? String)?.contains("missing") == true, "\(offline)")
        try FileManager.default.copyItem(at: samples.appendingPathComponent("clip-00005.mp4"), to: other.appendingPathComponent("c.mp4"))
        _ = try until("the other folder's file") {
            $0["path"] as? String == other.appendingPathComponent("c.mp4").path && $0["status"] as? String == "indexed"
        }
        Thread.sleep(forTimeInterval: 2.5)  // more than one polling interval
        XCTAssertEqual(
            try listed(),
            [disk.appendingPathComponent("a.mp4").path, disk.appendingPathComponent("b.mp4").path, other.appendingPathComponent("c.mp4").path]
                .sorted())

        // Back: online again, and nothing encoded a second time.
        try FileManager.default.moveItem(at: away, to: disk)
        _ = try until("online event") { $0["event"] as? String == "online" }
        try FileManager.default.copyItem(at: samples.appendingPathComponent("clip-00006.mp4"), to: other.appendingPathComponent("d.mp4"))
        var afterReturn: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, let line = lines.next() {
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            afterReturn.append(json)
            if json["path"] as? String == other.appendingPathComponent("d.mp4").path, json["status"] != nil { break }
        }
        let encodedAgain = afterReturn.filter { ($0["path"] as? String)?.hasPrefix(disk.path) == true && $0["status"] as? String == "indexed" }
        XCTAssertEqual(encodedAgain.count, 0, "\(encodedAgain)")
        XCTAssertEqual(try listed().count, 4)

        // A deletion under a present folder is still a deletion.
        try FileManager.default.removeItem(at: disk.appendingPathComponent("a.mp4"))
        _ = try until("the removal") { $0["event"] as? String == "removed" }
        XCTAssertFalse(try listed().contains(disk.appendingPathComponent("a.mp4").path))
    }
}

/// Lines from a pipe as they arrive (nil at its end).
final class LineReader {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}
