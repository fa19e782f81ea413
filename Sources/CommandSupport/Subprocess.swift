import Foundation

/// Runs a program found on PATH (or at an absolute path) to its end, for the benchmarks that
/// need another tool (ffmpeg, Python) or another vidsearch process.
public enum Subprocess {
    /// Exit status and standard output; standard error is discarded.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
