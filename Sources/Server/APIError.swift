import Hummingbird
import Query

/// The API's one error: a status and a message, answered as docs/openapi.yaml's Error
/// (`{"error": "..."}`), never a stack trace. Routes throw it; JSONErrors turns every other
/// error into one (`init(_:path:)`), so that no route catches for itself.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// What the API answers for any error a route throws: a query's QueryError is a 400 (an
    /// empty query, a query of no words), Hummingbird's own keep their status (no such address,
    /// a body too large), and anything else (an index read that failed) is a 500 with its reason.
    init(_ error: Error, path: String) {
        switch error {
        case let error as APIError: self = error
        case let error as QueryError: self.init(.badRequest, "\(error)")
        case let error as HTTPError where error.status == .notFound: self.init(.notFound, "no such address: \(path.prefix(200))")
        case let error as HTTPError: self.init(error.status, error.body ?? "\(error.status)")
        case let error as HTTPResponseError: self.init(error.status, "\(error.status)")
        default: self.init(.internalServerError, "\(error)")
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    /// The answer, which a middleware can also give without a request (TokenMiddleware).
    var response: Response {
        // A message is a String: it always encodes.
        (try? JSONBody.response(ErrorResponse(error: message), status: status)) ?? Response(status: status)
    }
}

/// docs/openapi.yaml's Error.
struct ErrorResponse: Codable {
    var error: String
}
