import Foundation
import Hummingbird
import HummingbirdTesting
import Query
import XCTest

@testable import Server

/// Every error is JSON with a status that says what went wrong; nothing that JSON cannot hold
/// (a -inf score) ever becomes a `{}` with 200.
final class JSONErrorTests: XCTestCase {
    private struct IndexReadFailed: Error, CustomStringConvertible {
        var description: String { "LMDB: MDB_CORRUPTED while reading segment 7" }
    }

    private struct Scores: Encodable {
        var hits: [Hit]
        struct Hit: Encodable { var score: Double }
    }

    func testANonFiniteNumberIsA500ThatNamesIt() throws {
        XCTAssertThrowsError(try JSONBody.response(Scores(hits: [.init(score: 0.5), .init(score: -.infinity)]))) { error in
            XCTAssertEqual((error as? APIError)?.status, .internalServerError)
            XCTAssertEqual((error as? APIError)?.message, "the answer could not be written as JSON: hits[1].score is -inf")
        }
        XCTAssertThrowsError(try JSONBody.response(Scores.Hit(score: .nan))) { error in
            XCTAssertEqual((error as? APIError)?.message, "the answer could not be written as JSON: score is nan")
        }
        XCTAssertEqual(try JSONBody.response(Scores.Hit(score: 0.25)).status, .ok)
    }

    func testEveryErrorARouteThrowsIsJSON() async throws {
        let router = Router()
        router.add(middleware: SecurityHeaders())
        router.add(middleware: JSONErrors())
        router.get("/gone") { _, _ -> Response in throw APIError(.gone, "the file is no longer on disk") }
        router.get("/broken") { _, _ -> Response in throw IndexReadFailed() }
        router.get("/inf") { _, _ in try JSONBody.response(Scores.Hit(score: -.infinity)) }
        router.get("/query") { _, _ -> Response in throw QueryError.emptyQuery }
        let app = Application(router: router)
        try await app.test(.router) { client in
            for (path, status, words) in [
                ("/gone", HTTPResponse.Status.gone, "no longer on disk"),
                ("/broken", .internalServerError, "MDB_CORRUPTED"),
                ("/inf", .internalServerError, "score is -inf"),
                ("/query", .badRequest, "the query is empty"),
                ("/no/such/route", .notFound, "no such address"),
            ] {
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
