import Foundation
import XCTest

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Runs the ffmpeg command-line tool and fails the test on error.
func ffmpeg(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + arguments
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "ffmpeg failed: \(message)", file: file, line: line)
}

/// A clip whose frame n shows the number n as a horizontal position of a white bar on black,
/// so a decoded frame tells which source frame it is: bar x = 4 * n.
func countingClip(_ path: String, fps: Int, seconds: Double, size: String = "160x96", codec: [String]) throws {
    try ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=\(size):r=\(fps):d=\(seconds)",
                "-vf", "format=yuv420p,geq=lum='if(between(X,4*N,4*N+3),235,16)':cb=128:cr=128"] + codec + [path])
}

/// The source frame number shown in a decoded counting-clip frame (brightest column / 4).
func frameNumber(_ pixels: [UInt8], width: Int, height: Int) -> Int {
    var best = 0, bestSum = -1
    let y = height / 2
    for x in 0..<width {
        let i = (y * width + x) * 3
        let sum = Int(pixels[i]) + Int(pixels[i + 1]) + Int(pixels[i + 2])
        if sum > bestSum { bestSum = sum; best = x }
    }
    return best / 4
}
