import Foundation
import Ingest
import TestSupport
import VideoIndex
import XCTest

/// Cut detection on generated edits with known cut times, through the path ingest takes
/// (SegmentSource with cut detection on): hard cuts (one seen only in colour), a cross-fade and a
/// fade through black are found; a white flash, a fast pan, a shaking camera and a change of
/// exposure are not cuts; and no segment straddles a cut.
final class CutDetectionTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try temporaryDirectory(self) }

    private let normal = "fps=25,format=yuv420p,setsar=1,settb=1/25"

    /// Renders a filter graph whose output pad is [out] to an H.264 file.
    private func render(_ name: String, _ graph: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try ffmpeg(["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", path])
        return path
    }

    private func segments(_ path: String, detectCuts: Bool = true) throws -> (segments: [SegmentRecord], cuts: [Double]?) {
        var small = PreprocessorConfiguration()
        (small.shortestEdge, small.cropWidth, small.cropHeight) = (32, 32, 32)
        let preprocessor = FramePreprocessor(small)
        return try SegmentSource(
            preprocessor: preprocessor, frames: 8,
            options: SegmentOptions(decoderThreads: 1, detectCuts: detectCuts)
        ).segments(path: path)
    }

    private func assertCuts(_ found: [Double], _ truth: [(time: Double, tolerance: Double)], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(found.count, truth.count, "found \(found), expected \(truth.map(\.time))", file: file, line: line)
        for (f, t) in zip(found, truth) {
            XCTAssertEqual(f, t.time, accuracy: t.tolerance, "found \(found), expected \(truth.map(\.time))", file: file, line: line)
        }
    }

    private func assertNoStraddle(_ segments: [SegmentRecord], _ cuts: [Double], file: StaticString = #filePath, line: UInt = #line) {
        for s in segments {
            XCTAssertFalse(
                cuts.contains { $0 > s.start + 1e-6 && $0 < s.end - 1e-6 }, "\(s.start)-\(s.end) straddles one of \(cuts)",
                file: file, line: line)
            XCTAssertTrue(
                s.frameTimes.allSatisfy { $0 >= s.start - 0.05 && $0 <= s.end + 0.05 },
                "frames of \(s.start)-\(s.end) outside it: \(s.frameTimes)", file: file, line: line)
        }
    }

    /// Segments `path` with cut detection, checks that the cuts found are `truth` and that no
    /// segment straddles one, and returns the segments.
    @discardableResult
    private func assertShots(
        _ path: String, cutAt truth: [(time: Double, tolerance: Double)], file: StaticString = #filePath, line: UInt = #line
    ) throws -> [SegmentRecord] {
        let (segments, cuts) = try segments(path)
        let found = try XCTUnwrap(cuts, file: file, line: line)
        assertCuts(found, truth, file: file, line: line)
        assertNoStraddle(segments, found, file: file, line: line)
        return segments
    }

    func testHardCutsAndFadesAreFound() throws {
        // 3 s shots: a hard cut at 3.0, a 1 s cross-fade centred on 5.5, a 1 s fade through black
        // centred on 7.5; 10 s in all.
        let path = try render(
            "transitions.mp4",
            """
            testsrc2=s=160x90:r=25:d=3,\(normal)[a];\
            smptehdbars=s=160x90:r=25:d=3,noise=alls=10:allf=t:all_seed=7,\(normal)[b];\
            mandelbrot=s=160x90:r=25,trim=duration=3,\(normal)[c];\
            gradients=s=160x90:r=25:d=3:speed=0.00001:nb_colors=2:c0=0x2040a0:c1=0xe0c040:x0=0:y0=0:x1=159:y1=89,\(normal)[d];\
            [a][b]concat=n=2:v=1:a=0,settb=1/25[ab];\
            [ab][c]xfade=transition=fade:duration=1:offset=5,settb=1/25[abc];\
            [abc][d]xfade=transition=fadeblack:duration=1:offset=7,settb=1/25[out]
            """)
        let segments = try assertShots(path, cutAt: [(3.0, 0.1), (5.5, 0.4), (7.5, 0.4)])
        XCTAssertEqual(segments.first?.start, 0)
        XCTAssertEqual(try XCTUnwrap(segments.last?.end), 10, accuracy: 0.05)
        // No gaps: every moment is in a segment.
        for (a, b) in zip(segments, segments.dropFirst()) { XCTAssertLessThanOrEqual(b.start, a.end + 1e-9) }
    }

    func testAShortCrossFadeIntoASmoothGradientIsFound() throws {
        // 0.6 s from colour bars into a smooth gradient, centred on 2.7 s: the gradient's histogram
        // jumps from frame to frame while the picture changes little, which must not hide the fade.
        let path = try render(
            "gradient-fade.mp4",
            """
            smptehdbars=s=160x90:r=25:d=3,noise=alls=10:allf=t:all_seed=7,\(normal)[a];\
            gradients=s=160x90:r=25:d=3:speed=0.00001:nb_colors=2:c0=0x2040a0:c1=0xe0c040:x0=0:y0=0:x1=159:y1=89,\(normal)[b];\
            [a][b]xfade=transition=fade:duration=0.6:offset=2.4,settb=1/25[out]
            """)
        try assertShots(path, cutAt: [(2.7, 0.4)])
    }

    func testAFlashAPanAndAShakingCameraAreNoCuts() throws {
        // 4 s shots, hard cuts at 4 and 8: a still test card with a two-frame white flash at
        // 1.44 s, a fast pan across a large card, a camera shaking over colour bars.
        let path = try render(
            "motion.mp4",
            """
            testsrc2=s=160x90:r=25:d=4,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(n\\,36\\,37)',\(normal)[a];\
            testsrc2=s=640x180:r=25:d=4,crop=160:90:x='min(iw-160\\,t*iw/5)':y=45,\(normal)[b];\
            smptebars=s=160x90:r=25:d=4,scale=200:112,crop=160:90:x='20+16*sin(t*19)':y='11+9*cos(t*23)',\(normal)[c];\
            [a][b][c]concat=n=3:v=1:a=0,settb=1/25[out]
            """)
        try assertShots(path, cutAt: [(4.0, 0.1), (8.0, 0.1)])
    }

    func testAChangeOfExposureIsNoCut() throws {
        // 8 s of a dull, grainy card whose brightness swings by 12% each way every 2.4 s (a camera's
        // exposure finding its level), then a hard cut at 8 to colour bars. In a low-contrast picture
        // each swing moves the whole histogram as far as a fade does, and it mixes linearly, but the
        // picture is the same one.
        let path = try render(
            "exposure.mp4",
            """
            testsrc2=s=160x90:r=25:d=8,eq=contrast=0.25,format=yuv420p,geq=lum='clip(p(X\\,Y)*(1+0.12*sin(2*PI*T/2.4))\\,0\\,255)':cb='p(X\\,Y)':cr='p(X\\,Y)',\
            noise=alls=12:allf=t:all_seed=3,\(normal)[a];\
            smptebars=s=160x90:r=25:d=3,\(normal)[b];\
            [a][b]concat=n=2:v=1:a=0,settb=1/25[out]
            """)
        try assertShots(path, cutAt: [(8.0, 0.1)])
    }

    func testACutBetweenShotsOfOneBrightnessIsFoundByItsColour() throws {
        // Two grainy 3 s shots whose brightness is the same pattern, one blue-green and one
        // orange-red: only the colour changes at 3.0.
        let pattern = "nullsrc=s=160x90:r=25:d=3,format=yuv420p,geq=lum='100+60*sin(X/9)*cos(Y/7)'"
        let path = try render(
            "colour-cut.mp4",
            """
            \(pattern):cb=170:cr=80,noise=alls=8:allf=t,\(normal)[a];\
            \(pattern):cb=80:cr=180,noise=alls=8:allf=t,\(normal)[b];\
            [a][b]concat=n=2:v=1:a=0,settb=1/25[out]
            """)
        try assertShots(path, cutAt: [(3.0, 0.1)])
    }

    func testACutJustBeforeTheEndLeavesNoSliver() throws {
        // A cut 0.5 s before the end (under the 1 s minimum segment): the last shot joins the one before.
        let path = try render(
            "tail.mp4", "testsrc2=s=160x90:r=25:d=4,\(normal)[a];smptebars=s=160x90:r=25:d=0.5,\(normal)[b];[a][b]concat=n=2:v=1:a=0[out]")
        let (segments, cuts) = try segments(path)
        XCTAssertEqual(cuts, [])
        XCTAssertEqual(segments.count, 1, "\(segments.map { [$0.start, $0.end] })")
        XCTAssertEqual(segments.first?.start, 0)
        XCTAssertEqual(try XCTUnwrap(segments.first?.end), 4.5, accuracy: 0.05)
    }

    func testWithoutDetectionTheWindowsAreFixedAndNoCutsAreRecorded() throws {
        let path = try render(
            "plain.mp4", "testsrc2=s=160x90:r=25:d=3,\(normal)[a];smptebars=s=160x90:r=25:d=6,\(normal)[b];[a][b]concat=n=2:v=1:a=0[out]")
        let (fixed, none) = try segments(path, detectCuts: false)
        XCTAssertNil(none)
        XCTAssertEqual(fixed.map { [$0.start, $0.end] }, [[0, 4], [4, 9]])
        let (shots, cuts) = try segments(path)
        XCTAssertEqual(try XCTUnwrap(cuts).count, 1)
        XCTAssertEqual(
            shots.map { [$0.start, $0.end] }, [[0, 3], [3, 7], [5, 9]], "the second shot planned as a video: a window flush with its end")
    }
}
