import Foundation
import Hummingbird

/// JSON bodies, and errors as `{"error": "..."}` with the status that says what went wrong.
enum JSONResponse {
    /// The object as JSON; one that cannot be written (a non-finite number) is a 500 that says why.
    static func ok(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        if let problem = JSONCheck.problem(object) {
            return ok(["error": "the answer could not be written as JSON: \(problem)"], status: .internalServerError)
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return ok(["error": "the answer could not be written as JSON"], status: .internalServerError)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        ok(["error": message], status: status)
    }
}

/// An error a handler throws to answer with a status and a message (never a stack trace).
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
