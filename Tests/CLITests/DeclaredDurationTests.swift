import Foundation
import TestSupport
import XCTest

/// A header's duration is a claim: a Matroska file whose Duration says 10^15 ms (about 31,700
/// years) with 3 s of frames in it is indexed for what is there, as one partial file with its
/// reason, in bounded time and memory, and the next file is done too. The plan was built from the
/// claim before anything was decoded, and the process died out of memory.
final class DeclaredDurationTests: XCTestCase {
    func testAnAbsurdDeclaredDurationIsOnePartialFile() throws {
        let dir = try temporaryDirectory(self)
        let honest = dir.appendingPathComponent("honest.mkv"), liar = dir.appendingPathComponent("liar.mkv")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=96x72:r=8:d=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", honest.path])
        var bytes = [UInt8](try Data(contentsOf: honest))
        // Segment Info's Duration element: ID 0x4489, an 8-byte float (ffmpeg's muxer writes that size).
        let at = try XCTUnwrap((0..<bytes.count - 11).first { bytes[$0] == 0x44 && bytes[$0 + 1] == 0x89 && bytes[$0 + 2] == 0x88 })
        withUnsafeBytes(of: (1e15 as Double).bitPattern.bigEndian) { bytes.replaceSubrange(at + 3..<at + 11, with: $0) }
        try Data(bytes).write(to: liar)
        let model = CLI.repository.appendingPathComponent("Models/xclip-demo").path
        for flags in [[], ["--no-cuts"]] {
            let index = dir.appendingPathComponent("index\(flags.count)").path
            let started = Date()
            let r = try CLI.run(["index", liar.path, honest.path, "--index", index, "--model", model, "--json"] + flags)
            XCTAssertFalse(r.signaled, "killed by signal \(r.status): \(r.stderr)")
            XCTAssertEqual(r.status, 1, "a partial file: \(r.stdout) \(r.stderr)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 120)
            let lines = r.json
            let lied = try XCTUnwrap(lines.first { ($0["path"] as? String) == liar.path }, r.stdout)
            XCTAssertEqual(lied["partial"] as? Bool, true, "\(lied)")
            XCTAssertGreaterThanOrEqual(lied["segments"] as? Int ?? 0, 1, "\(lied)")
            XCTAssertEqual(lines.first { ($0["path"] as? String) == honest.path }?["status"] as? String, "indexed", r.stdout)
        }
    }
}
