import Foundation
import TestSupport
import VideoIndex
import XCTest

/// Writers killed at random moments never leave a half-written index.
final class FaultTests: XCTestCase {
    func testKilledWritersLeaveAVerifiableIndexAndARerunFinishes() throws {
        let dir = try temporaryDirectory(self)
        let clips = dir.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
        let colors = ["red", "green", "blue", "yellow", "white", "cyan"]
        for (i, color) in colors.enumerated() { try makeClip(clips.appendingPathComponent("clip\(i).mp4").path, color: color, seconds: 6) }
        let model = try tinyModel(self)
        let index = dir.appendingPathComponent("index").path
        let args = ["index", clips.path, "--index", index, "--model", model.path]

        // How long a whole run takes here, so that kills land inside runs on fast and slow machines alike.
        let began = Date()
        XCTAssertEqual(try CLI.run(args).status, 0)
        let whole = Date().timeIntervalSince(began)

        var rng = SystemRandomNumberGenerator()
        var kills = 0, rounds = 0
        for round in 0..<24 {
            // Two rounds in three start by removing every video, so the run has all the work to do;
            // the third continues from whatever the killed run before it committed.
            if round % 3 != 2 {
                _ = try CLI.run(["remove", "--index", index] + colors.indices.map { clips.appendingPathComponent("clip\($0).mp4").path })
                rounds += 1
            }
            let process = try CLI.start(args)
            usleep(UInt32(Double.random(in: 0.05...0.8, using: &rng) * whole * 1_000_000))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            let verify = try CLI.run(["verify", "--index", index])
            XCTAssertEqual(verify.status, 0, "after kill \(round): \(verify.stdout)")
        }
        XCTAssertGreaterThanOrEqual(kills, rounds / 2, "most runs that had all the work should have been killed mid-way")

        // A full run finishes the work; nothing is duplicated.
        let final = try CLI.run(args + ["--json"])
        XCTAssertEqual(final.status, 0, final.stderr)
        let list = try CLI.run(["list", "--json", "--index", index])
        XCTAssertEqual(list.json.count, colors.count)
        XCTAssertEqual(list.json.compactMap { $0["segments"] as? Int }.reduce(0, +), colors.count * 2, "6 s clips: two 4 s windows each")
        let verify = try CLI.run(["verify", "--index", index])
        XCTAssertEqual(verify.status, 0, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("\(colors.count) videos, \(colors.count * 2) segments"), verify.stdout)
    }

    func testSecondWriterIsToldWhoHoldsTheLockAndReadersStillRead() throws {
        let dir = try temporaryDirectory(self)
        let clip = dir.appendingPathComponent("c.mp4").path
        try makeClip(clip, color: "red", seconds: 2)
        let model = try tinyModel(self)
        let index = dir.appendingPathComponent("index")
        XCTAssertEqual(try CLI.run(["index", clip, "--index", index.path, "--model", model.path]).status, 0)
        do {
            // This test process is now the writer.
            let identity = try ModelIdentity(directory: model, dimension: 32, promptTokens: 16)
            let writer = try IndexStore(writingAt: index, model: identity)
            let r = try CLI.run(["index", clip, "--index", index.path, "--model", model.path])
            XCTAssertEqual(r.status, 3)
            XCTAssertTrue(r.stderr.contains("locked by pid \(getpid())"), r.stderr)
            let reader = try CLI.run(["search", "a red box", "--json", "--index", index.path, "--model", model.path])
            XCTAssertEqual(reader.status, 0, reader.stderr)
            XCTAssertEqual(reader.json.count, 1)
            _ = writer
        }
        // The lock goes with its holder.
        XCTAssertEqual(try CLI.run(["index", clip, "--index", index.path, "--model", model.path]).status, 0)
    }
}
