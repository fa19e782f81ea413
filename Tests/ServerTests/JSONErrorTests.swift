import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import XCTest

/// Every error is JSON with a status that says what went wrong; nothing that JSON cannot hold
/// (a -inf score) ever becomes a `{}` with 200.
final class JSONErrorTests: XCTestCase {
    private struct IndexReadFailed: Error, CustomStringConvertible {
        var description: String { "LMDB: MDB_CORRUPTED while reading segment 7" }
    }

    func testANonFiniteNumberIsA500ThatNamesIt() {
        let response = JSONResponse.ok(["hits": [["score": 0.5], ["score": -Double.infinity]]])
        XCTAssertEqual(response.status, .internalServerError)
        XCTAssertEqual(JSONCheck.problem(["hits": [["score": 0.5], ["score": -Double.infinity]]]), "hits[1].score is -inf")
        XCTAssertEqual(JSONCheck.problem(["a": [Double.nan]]), "a[0] is nan")
        XCTAssertNil(JSONCheck.problem(["a": [1.5, 2], "b": "text"]))
        XCTAssertEqual(JSONResponse.ok(["score": 0.25]).status, .ok)
    }

    func testEveryErrorARouteThrowsIsJSON() async throws {
        let router = Router()
        router.add(middleware: SecurityHeaders())
        router.add(middleware: JSONErrors())
        router.get("/gone") { _, _ -> Response in throw APIError(.gone, "the file is no longer on disk") }
        router.get("/broken") { _, _ -> Response in throw IndexReadFailed() }
        router.get("/inf") { _, _ in JSONResponse.ok(["score": -Double.infinity]) }
        let app = Application(router: router)
        try await app.test(.router) { client in
            for (path, status, words) in [("/gone", HTTPResponse.Status.gone, "no longer on disk"),
                                          ("/broken", .internalServerError, "MDB_CORRUPTED"),
                                          ("/inf", .internalServerError, "score is -inf"),
                                          ("/no/such/route", .notFound, "no such address")] {
                try await client.execute(uri: path, method: .get) { response in
                    XCTAssertEqual(response.status, status, path)
                    XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8", path)
                    XCTAssertEqual(response.headers[HTTPFields.Element.Name("X-Content-Type-Options")!], "nosniff", path)
                    let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    XCTAssertTrue((body?["error"] as? String ?? "").contains(words), "\(path): \(String(describing: body))")
                }
            }
        }
    }
}
