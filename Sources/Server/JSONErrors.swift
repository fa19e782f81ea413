import Hummingbird

/// Every error becomes a JSON answer with the status it carries (APIError), never Hummingbird's
/// plain-text 500. It sits inside SecurityHeaders, so that an error's answer gets them too.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return APIError(error, path: request.uri.path).response
        }
    }
}
