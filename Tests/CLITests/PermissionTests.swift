import Foundation
import TestSupport
import XCTest

/// A file the indexing user may not read is reported as "permission denied" and the rest is
/// indexed. Root reads every file whatever its mode, and CI runs as root: there the binary runs
/// as `nobody` through setpriv (from a copy in a folder that user can reach), so the check runs
/// on every machine instead of being skipped.
final class PermissionTests: XCTestCase {
    func testAnUnreadableFileIsPermissionDeniedAndTheRestIsIndexed() throws {
        let dir = try temporaryDirectory(self)
        chmod(dir.path, 0o777)
        let model = try tinyModel(self)
        let secret = dir.appendingPathComponent("secret.mp4").path, open = dir.appendingPathComponent("open.mp4").path
        try makeClip(secret, color: "red", seconds: 2)
        try makeClip(open, color: "blue", seconds: 2)
        chmod(secret, 0)
        chmod(open, 0o644)
        let index = dir.appendingPathComponent("index").path

        let process = Process()
        var arguments = ["index", secret, open, "--index", index, "--model", model.path, "--json"]
        if getuid() == 0 {
            // The model folder, the binary and the clips where `nobody` can read them.
            let binary = dir.appendingPathComponent("vidsearch")
            try FileManager.default.copyItem(at: CLI.binary, to: binary)
            chmod(binary.path, 0o755)
            for item in try FileManager.default.contentsOfDirectory(atPath: model.path) { chmod(model.appendingPathComponent(item).path, 0o644) }
            chmod(dir.path, 0o777)
            chmod(model.path, 0o755)
            chmod(model.deletingLastPathComponent().path, 0o777)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", binary.path] + arguments
        } else {
            process.executableURL = CLI.binary
        }
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["HOME": dir.path]) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let message = String(decoding: stderr, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 1, "one file failed, the other was indexed: \(message)")
        let byPath = Dictionary(lines.compactMap { line in (line["path"] as? String).map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byPath[secret]?["status"] as? String, "failed", "\(lines)")
        XCTAssertTrue((byPath[secret]?["error"] as? String ?? "").hasSuffix("permission denied"), "\(lines)")
        XCTAssertEqual(byPath[open]?["status"] as? String, "indexed", "\(lines)")
    }
}
