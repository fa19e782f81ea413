import Hummingbird

/// Every response: the page may load only its own scripts, styles, images and media; no
/// framing, no type sniffing. No CORS headers are ever sent, so other sites' pages cannot read
/// the API.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // JSONErrors, inside this one, has turned every error into an answer.
        var response = try await next(request, context)
        response.headers[Self.name("Content-Security-Policy")] = "default-src 'self'; img-src 'self'; media-src 'self'; frame-ancestors 'none'"
        response.headers[Self.name("X-Content-Type-Options")] = "nosniff"
        response.headers[Self.name("Referrer-Policy")] = "no-referrer"
        return response
    }
}

extension SecurityHeaders {
    fileprivate static func name(_ text: String) -> HTTPFields.Element.Name { HTTPFields.Element.Name(text)! }
}
