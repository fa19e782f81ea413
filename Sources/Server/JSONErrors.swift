import Hummingbird
import Query

/// Every error becomes a JSON answer (docs/openapi.yaml's Error) with the status it carries: a
/// route's APIError, a query's QueryError (400), Hummingbird's own (no such address, a body too
/// large), and 500 with the reason for anything else (an index read that failed), never
/// Hummingbird's plain-text 500. The routes throw; this is the one place that answers.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return JSONResponse.error(error.status, error.message)
        } catch let error as QueryError {
            return JSONResponse.error(.badRequest, "\(error)")  // an empty query, a query of no words
        } catch let error as HTTPError where error.status == .notFound {
            return JSONResponse.error(.notFound, "no such address: \(request.uri.path.prefix(200))")
        } catch let error as HTTPError {
            return JSONResponse.error(error.status, error.body ?? "\(error.status)")
        } catch let error as HTTPResponseError {
            return JSONResponse.error(error.status, "\(error.status)")
        } catch {
            return JSONResponse.error(.internalServerError, "\(error)")
        }
    }
}
