import Foundation
import TestSupport
import XCTest

/// Runs the built vidsearch binary as a user would.
struct CLI {
    static let binary: URL = {
        // The test bundle sits beside the products: .build/<config>/vidsearchPackageTests.xctest
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
        for candidate in [dir, Bundle.main.bundleURL.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("vidsearch")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return dir.appendingPathComponent("vidsearch")
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Ended by a signal (then `status` is the signal's number, not an exit code).
        var signaled = false
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        var json: [[String: Any]] {
            lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), signaled: process.terminationReason == .uncaughtSignal)
    }

    /// Starts the binary without waiting (for kill tests).
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// A small clip of a colored box on a test pattern.
func makeClip(_ path: String, color: String, seconds: Int) throws {
    try ffmpeg([
        "-f", "lavfi", "-i", "testsrc=s=96x72:r=8:d=\(seconds)", "-vf", "drawbox=x=10:y=10:w=30:h=30:color=\(color):t=fill",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", path,
    ])
}

/// The tiny fixture model (random weights, 64 px frames, 4 frames) as a complete model directory.
func tinyModel(_ test: XCTestCase, variant: String = "") throws -> URL {
    let dir = try temporaryDirectory(test).appendingPathComponent("model")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let fixture = CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/xclip-tiny")
    try FileManager.default.copyItem(at: fixture.appendingPathComponent("model.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
    var config = try String(contentsOf: fixture.appendingPathComponent("config.json"), encoding: .utf8)
    config += variant  // trailing whitespace changes the model's fingerprint, nothing else
    try config.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    try #"{"size": 64, "crop_size": 64}"#.write(to: dir.appendingPathComponent("preprocessor_config.json"), atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(
        at: CLI.repository.appendingPathComponent("Models/xclip-demo/bpe_simple_vocab_16e6.txt.gz"),
        to: dir.appendingPathComponent("bpe_simple_vocab_16e6.txt.gz"))
    return dir
}
