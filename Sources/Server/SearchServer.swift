import Foundation
import Hummingbird
import Logging

/// `vidsearch serve`: one process holding the model and the index, the API and the page.
public enum SearchServer {
    public enum StartError: Error, CustomStringConvertible {
        case tokenRequired(host: String)
        public var description: String {
            switch self {
            case .tokenRequired(let host):
                return "serving on \(host) (not loopback) lets other machines search and play your videos: "
                    + "give --token SECRET (clients send it as a bearer header, or open /?token=SECRET once)"
            }
        }
    }

    /// Every route and middleware of the server, as Hummingbird's examples build an
    /// application's router: what `run` serves and what the tests drive in-process
    /// (HummingbirdTesting's `app.test(.router)`).
    public static func router(service: SearchService, options: ServerOptions) -> Router<ServerContext> {
        // HEAD on every GET route, answered as GET without the body (RFC 9110 9.3.2).
        let router = Router(context: ServerContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: JSONErrors())
        if let token = options.token { router.add(middleware: TokenMiddleware(token: token)) }
        PageRoutes().add(to: router)
        APIRoutes(service: service, options: options).add(to: router)
        MediaRoutes(service: service, options: options).add(to: router)
        MethodNotAllowed.add(to: router)
        return router
    }

    /// Runs until the process is stopped; `listening` gets the address once it is bound.
    public static func run(service: SearchService, options: ServerOptions, listening: @escaping @Sendable (String) -> Void) async throws {
        guard options.token != nil || ServerOptions.isLoopback(options.host) else { throw StartError.tokenRequired(host: options.host) }
        let router = router(service: service, options: options)

        var logger = Logger(label: "vidsearch.serve")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),  // slow or idle clients are let go
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "vidsearch"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                let host = options.host.contains(":") ? "[\(options.host)]" : options.host
                listening("http://\(host):\(port)/")
            },
            logger: logger
        )
        try await app.runService()
    }
}
