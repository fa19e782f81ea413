import Foundation

/// How `vidsearch serve` listens, and the bounds every request is held to.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0: any free port (the address it got is printed once listening).
    public var port = 8080
    /// Required for any host but loopback: sent as `Authorization: Bearer T`, or set once
    /// through `/?token=T` into an HttpOnly cookie.
    public var token: String?
    /// Characters of a query read before tokenizing (the model reads 77 tokens at most).
    public var maxQueryLength = 1000
    public var maxK = 200
    public var maxCandidates = 2000
    /// Bytes of an example clip or photo accepted by POST /api/search/example.
    public var maxUpload = 64 << 20
    /// Where cut clips (/api/segments/{id}/clip.mp4) are kept, and how many bytes of them.
    public var clipCache = ServerOptions.defaultClipCache
    public var clipCacheBytes = 256 << 20

    public static var defaultClipCache: URL {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache")
        return base.appendingPathComponent("vidsearch/clips")
    }

    public init() {}

    public static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}
