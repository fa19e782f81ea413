import Foundation
import Hummingbird

/// With `--token`: every request carries it as `Authorization: Bearer T` or the cookie set by
/// visiting `/?token=T` once (HttpOnly, SameSite=Strict); anything else gets 401 (thrown:
/// JSONErrors, outside this one, answers it).
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    static var cookieName: String { "vidsearch_token" }
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let query = FormQuery(request.uri.query)
        if let given = query.get("token"), request.uri.path == "/" {
            guard constantTimeEqual(given, token) else { throw APIError(.unauthorized, "wrong token") }
            // Set the cookie and drop the token from the address bar (and from history); the rest
            // of the address (a search: ?q=...) stays.
            let rest = query.encoded(without: "token")
            var response = Response(status: .seeOther, headers: [.location: rest.isEmpty ? "/" : "/?" + rest])
            response.setCookie(Cookie(name: Self.cookieName, value: token, path: "/", secure: false, httpOnly: true, sameSite: .strict))
            return response
        }
        // The scheme's name is case-insensitive (RFC 9110, 11.1).
        let bearer = request.headers[.authorization].flatMap { $0.lowercased().hasPrefix("bearer ") ? String($0.dropFirst(7)) : nil }
        let cookie = request.cookies[Self.cookieName]?.value
        guard let presented = bearer ?? cookie, constantTimeEqual(presented, token) else {
            throw APIError(.unauthorized, "this server needs its token: open /?token=... once, or send Authorization: Bearer ...")
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first differing byte.
    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }
}
