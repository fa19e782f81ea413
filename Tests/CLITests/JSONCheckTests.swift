import CommandSupport
import XCTest

/// The CLI's JSON lines name a value JSON cannot hold, by its key path, instead of printing `{}`.
final class JSONCheckTests: XCTestCase {
    func testANonFiniteNumberIsNamedByItsPath() {
        XCTAssertEqual(JSONCheck.problem(["hits": [["score": 0.5], ["score": -Double.infinity]]]), "hits[1].score is -inf")
        XCTAssertEqual(JSONCheck.problem(["a": [Double.nan]]), "a[0] is nan")
        XCTAssertEqual(JSONCheck.problem(["a": [Float.infinity]]), "a[0] is inf")
        XCTAssertNil(JSONCheck.problem(["a": [1.5, 2], "b": "text"]))
    }
}
