import Hummingbird
import NIOPosix

/// Work that holds a thread for long runs on NIO's blocking thread pool, never on the Swift
/// concurrency threads that Hummingbird answers requests on: the model (a search, an example
/// encoded), catching up with a watcher's commits, cutting a clip. On two cores there are two
/// of those threads, and two searches queued on the model used to hold both, so that even
/// `/api/health` waited for them (ServerTests/RouterTests shows it no longer does).
enum BlockingWork {
    /// `body`'s result (an answer, or nothing), made on the blocking pool.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
