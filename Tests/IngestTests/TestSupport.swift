import Foundation
import TestSupport
import XCTest

/// A clip whose frame n shows the number n as a horizontal position of a white bar on black,
/// so a decoded frame tells which source frame it is: bar x = 4 * n.
func countingClip(_ path: String, fps: Int, seconds: Double, size: String = "160x96", codec: [String]) throws {
    try ffmpeg(
        [
            "-f", "lavfi", "-i", "color=c=black:s=\(size):r=\(fps):d=\(seconds)",
            "-vf", "format=yuv420p,geq=lum='if(between(X,4*N,4*N+3),235,16)':cb=128:cr=128",
        ] + codec + [path])
}

/// The source frame number shown in a decoded counting-clip frame (brightest column / 4).
func frameNumber(_ pixels: [UInt8], width: Int, height: Int) -> Int {
    var best = 0, bestSum = -1
    let y = height / 2
    for x in 0..<width {
        let i = (y * width + x) * 3
        let sum = Int(pixels[i]) + Int(pixels[i + 1]) + Int(pixels[i + 2])
        if sum > bestSum {
            bestSum = sum
            best = x
        }
    }
    return best / 4
}
