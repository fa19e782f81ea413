import Foundation
import TestSupport
import XCTest

/// `vidsearch model pull` against a stand-in for the hub on the loopback (Tests/FakeHub/fake_hub.py:
/// redirects to a second storage host, ETags, Range, a 401, 404s, a connection cut mid-file, a wrong
/// checksum). No test reaches the internet.
final class ModelPullTests: XCTestCase {
    private var server: Process?
    private var input: Pipe?
    private var hub = ""
    private var log: URL!
    private var home: URL!

    override func setUpWithError() throws {
        let dir = try temporaryDirectory(self)
        home = dir.appendingPathComponent("hf")
        log = dir.appendingPathComponent("requests.log")
        let ports = dir.appendingPathComponent("ports")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", CLI.repository.appendingPathComponent("Tests/FakeHub/fake_hub.py").path, ports.path,
            CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/clip-tiny").path, log.path,
        ]
        let pipe = Pipe()
        process.standardInput = pipe
        try process.run()
        server = process
        input = pipe
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: ports.path) { usleep(50_000) }
        let text = try String(contentsOf: ports, encoding: .utf8).split(separator: " ")
        hub = "http://127.0.0.1:\(text[0].trimmingCharacters(in: .whitespacesAndNewlines))"
    }

    override func tearDown() {
        try? input?.fileHandleForWriting.close()
        server?.terminate()
        server?.waitUntilExit()
    }

    private func pull(_ repo: String, _ extra: [String: String] = [:]) throws -> CLI.Result {
        var environment = ["HF_ENDPOINT": hub, "HF_HOME": home.path, "HF_HUB_CACHE": "", "HF_TOKEN": "", "HF_HUB_OFFLINE": ""]
        for (k, v) in extra { environment[k] = v }
        return try CLI.run(["model", "pull", repo, "--json"], environment: environment)
    }

    private func requests() throws -> [String] { try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init) }

    private func sha256(_ url: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", url.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        process.waitUntilExit()
        return String(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
    }

    func testAPullFillsTheCacheAsHuggingFaceHubDoesAndIsUsedByName() throws {
        let first = try pull("acme/tiny-clip")
        XCTAssertEqual(first.status, 0, first.stderr)
        let object = try XCTUnwrap(first.json.first)
        let commit = try XCTUnwrap(object["commit"] as? String)
        let files = try XCTUnwrap(object["files"] as? [[String: Any]])
        XCTAssertEqual(files.map { $0["name"] as? String }, ["config.json", "model.safetensors"])
        XCTAssertEqual(files.map { $0["downloaded"] as? Bool }, [true, true])
        let repo = home.appendingPathComponent("hub/models--acme--tiny-clip")
        XCTAssertEqual(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8), commit)
        let weights = repo.appendingPathComponent("snapshots/\(commit)/model.safetensors")
        let fixture = CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/clip-tiny/model.safetensors")
        let expected = try sha256(fixture)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: weights.path), "../../blobs/\(expected)")
        XCTAssertEqual(try sha256(weights), expected)
        XCTAssertFalse(
            try FileManager.default.contentsOfDirectory(atPath: repo.appendingPathComponent("blobs").path).contains { $0.hasSuffix(".incomplete") })

        // Found by name, offline, by every command.
        let info = try CLI.run(["model", "info", "--model", "acme/tiny-clip", "--json"], environment: ["HF_HOME": home.path])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertEqual(info.json.first?["family"] as? String, "clip")

        // Again: nothing is downloaded (only HEADs).
        let before = try requests().count
        let again = try pull("acme/tiny-clip")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual((again.json.first?["files"] as? [[String: Any]])?.map { $0["downloaded"] as? Bool }, [false, false])
        let later = try requests().dropFirst(before)
        XCTAssertTrue(later.allSatisfy { $0.contains(" HEAD ") }, "\(later)")

        // Offline: the cache answers; what it lacks is a clear error.
        XCTAssertEqual(try pull("acme/tiny-clip", ["HF_HUB_OFFLINE": "1"]).status, 0)
        let offline = try pull("acme/pytorch", ["HF_HUB_OFFLINE": "1"])
        XCTAssertEqual(offline.status, 3, offline.stderr)
        XCTAssertTrue(offline.stderr.contains("HF_HUB_OFFLINE"), offline.stderr)
    }

    func testEveryFailureIsAClearErrorAndLeavesNoBlob() throws {
        let cases: [(String, [String: String], Int32, String)] = [
            ("acme/tiny-clip@v9", [:], 3, "has no revision v9"),
            ("acme/absent", [:], 3, "acme/absent was not found"),
            ("acme/private", [:], 3, "set HF_TOKEN"),
            ("acme/private", ["HF_TOKEN": "wrong"], 3, "refused the token"),
            ("acme/corrupt", [:], 3, "sha256"),
            ("not-a-repository", [:], 2, "not a repository name"),
            ("acme/tiny-clip", ["HF_ENDPOINT": "http://127.0.0.1:1"], 3, "cannot connect"),
        ]
        for (repo, environment, status, message) in cases {
            let result = try pull(repo, environment)
            XCTAssertEqual(result.status, status, "\(repo) \(environment): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(repo) \(environment): \(result.stderr)")
        }
        // The corrupt download was discarded: no blob, no partial file, no snapshot link to one.
        let blobs = home.appendingPathComponent("hub/models--acme--corrupt/blobs")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []
        XCTAssertFalse(left.contains { $0.count == 64 || $0.hasSuffix(".incomplete") }, "\(left)")
    }

    func testAFullDiskIsAClearErrorAndNoBlob() throws {
        // A 1 MiB tmpfs as the cache: the 6.9 MB weights cannot fit.
        let small = try temporaryDirectory(self).appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        mount.arguments = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)") }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            umount.arguments = ["umount", small.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let full = try pull("acme/tiny-clip", ["HF_HOME": small.path])
        XCTAssertEqual(full.status, 3, full.stderr)
        XCTAssertTrue(full.stderr.contains("No space left on device") && full.stderr.contains(small.path), full.stderr)
        let blobs = small.appendingPathComponent("hub/models--acme--tiny-clip/blobs")
        XCTAssertFalse(((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).contains { $0.count == 64 })
    }

    func testACutDownloadResumesAndTheTokenNeverLeavesTheHub() throws {
        let flaky = try pull("acme/flaky")
        XCTAssertEqual(flaky.status, 0, flaky.stderr)
        let storage = try requests().filter { $0.hasPrefix("127.0.0.2 GET") }
        XCTAssertEqual(storage.count, 2, "\(storage)")
        XCTAssertTrue(storage[1].contains("bytes=") && !storage[1].contains("bytes=0-"), "resumed with a Range: \(storage)")
        let commit = try XCTUnwrap(flaky.json.first?["commit"] as? String)
        let weights = home.appendingPathComponent("hub/models--acme--flaky/snapshots/\(commit)/model.safetensors")
        XCTAssertEqual(
            try sha256(weights), try sha256(CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/clip-tiny/model.safetensors")))

        let secret = try pull("acme/private", ["HF_TOKEN": "secret-token"])
        XCTAssertEqual(secret.status, 0, secret.stderr)
        XCTAssertTrue(try requests().contains { $0.hasPrefix("127.0.0.1") && $0.contains("Bearer secret-token") })
        XCTAssertFalse(try requests().contains { $0.hasPrefix("127.0.0.2") && $0.contains("Bearer") }, "the storage host got the token")

        // Only pytorch_model.bin: it is pulled, and the model loads from it.
        let torch = try pull("acme/pytorch")
        XCTAssertEqual(torch.status, 0, torch.stderr)
        XCTAssertEqual((torch.json.first?["files"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["config.json", "pytorch_model.bin"])
        let info = try CLI.run(["model", "info", "--model", "acme/pytorch", "--json"], environment: ["HF_HOME": home.path])
        XCTAssertEqual(info.status, 0, info.stderr)
    }
}
