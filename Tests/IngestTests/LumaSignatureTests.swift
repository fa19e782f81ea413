import Ingest
import XCTest

/// The exposure fit that tells a change of brightness from a fade: a picture scaled by a gain is
/// found with that gain and nothing left over; another picture leaves its difference; black has
/// no gain.
final class LumaSignatureTests: XCTestCase {
    /// A 160 x 90 picture: a diagonal ramp with a bright block, scaled by `gain`.
    private func picture(gain: Double, block: (x: Int, y: Int) = (30, 20)) -> LumaSignature {
        LumaSignature(width: 160, height: 90) { x, y in
            let inBlock = (block.x..<block.x + 40).contains(x) && (block.y..<block.y + 30).contains(y)
            return Int((Double(40 + x / 2 + y) + (inBlock ? 80 : 0)) * gain)
        }
    }

    func testAScaledPictureIsFoundWithItsGain() throws {
        let fit = try XCTUnwrap(picture(gain: 1).exposure(to: picture(gain: 1.2)))
        XCTAssertEqual(fit.gain, 1.2, accuracy: 0.01)
        XCTAssertLessThan(fit.residual, 0.005)
    }

    func testAnotherPictureLeavesItsDifference() throws {
        let a = picture(gain: 1), b = picture(gain: 1, block: (110, 50))
        let fit = try XCTUnwrap(a.exposure(to: b))
        XCTAssertGreaterThan(fit.residual, 0.5 * a.gridDistance(b), "gain \(fit.gain)")
    }

    func testBlackHasNoGain() {
        let black = LumaSignature(width: 160, height: 90) { _, _ in 0 }
        XCTAssertNil(black.exposure(to: picture(gain: 1)))
    }
}
