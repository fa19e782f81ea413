/// `/api/status`: what the folder watcher beside the server is doing (`serve --watch`).
struct StatusResponse: APIResponse, Codable {
    var watch: WatchState
}

/// The watcher's progress, read from its `watch --json` events (WatchStatus); only `watching`
/// (false) where no watcher runs.
struct WatchState: Codable, Sendable {
    struct Failure: Codable, Sendable {
        var path: String
        var error: String
    }

    struct Offline: Codable, Sendable {
        var folder: String
        var reason: String
    }

    var watching: Bool
    var folders: [String]?
    /// Files seen, waiting to settle.
    var queued: Int?
    var indexed: Int?
    var moved: Int?
    var removed: Int?
    /// The last 20 files that failed.
    var errors: [Failure]?
    var videoSeconds: Double?
    /// Video-seconds indexed per second since the watch began.
    var rate: Double?
    /// The file being encoded now.
    var current: String?
    /// Why the watcher ended, once it has.
    var stopped: String?
    /// Watched folders that are missing or unreadable now: their videos stay searchable.
    var offline: [Offline]?

    static let notWatching = WatchState(watching: false)
}
