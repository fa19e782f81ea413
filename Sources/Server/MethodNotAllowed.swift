import HTTPTypes
import Hummingbird

/// Another method on a path the API serves is 405 with the methods it has (RFC 9110 15.5.6),
/// where the router answered 404 as for a path it does not have.
enum MethodNotAllowed {
    /// Every path the routes serve, with their methods (HEAD comes with GET).
    static let paths: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/", [.get]), ("/app.js", [.get]), ("/app.css", [.get]),
        ("/api/health", [.get]), ("/api/stats", [.get]), ("/api/status", [.get]), ("/api/search", [.get]),
        ("/api/similar/:segment", [.get]), ("/api/search/example", [.post]),
        ("/api/videos", [.get]), ("/api/videos/:id", [.get]), ("/api/videos/:id/media", [.get]),
        ("/api/segments/:id/thumbnail", [.get]), ("/api/segments/:id/clip.mp4", [.get]),
    ]

    static func add(to router: Router<ServerContext>) {
        // QUERY: the safe method with a body (an IETF draft) that clients and schemathesis send.
        let others: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!]
        for (path, methods) in paths {
            let allowed = (methods.contains(.get) ? methods + [.head] : methods).map(\.rawValue).joined(separator: ", ")
            for method in others where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    var response = APIError(.methodNotAllowed, "\(method.rawValue) is not answered here; \(allowed) is").response
                    response.headers[.allow] = allowed
                    return response
                }
            }
        }
    }
}
