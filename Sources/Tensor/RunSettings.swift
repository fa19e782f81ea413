import DNNLBridge
import Foundation

/// How a model's work runs: which library and precision do its large products (ProductEngine)
/// and how many cores it splits its work over. Immutable, and passed rather than set: a model
/// loaded with settings runs every call with them (XCLIPModel.settings), and the ingest
/// pipeline's workers run theirs with one core each, whatever else the process runs at the
/// same time. Without settings a call follows the process's defaults (the command's
/// `--precision`, $VIDSEARCH_GEMM, $VIDSEARCH_THREADS), as whisper.cpp's calls follow the
/// `n_threads` they are given.
///
/// Applied per calling thread, for the length of a call: ProductEngine.current and
/// Parallel.cores read this thread's settings first, and oneDNN's OpenMP budget follows.
public struct RunSettings: Equatable, Sendable {
    public var engine: ProductEngine
    public var cores: Int

    public init(engine: ProductEngine, cores: Int) {
        precondition(cores >= 1, "a model needs at least one core")
        self.engine = engine
        self.cores = cores
    }

    /// The process's defaults now, as a value to pass on.
    public static var processDefaults: RunSettings { RunSettings(engine: ProductEngine.current, cores: Parallel.cores) }

    /// Runs `body` on the calling thread with these settings; the thread's earlier ones (or
    /// none) come back after, also when `body` throws.
    public func applied<T>(_ body: () throws -> T) rethrows -> T {
        let earlier = Self.onThisThread
        Self.set(self)
        defer { Self.set(earlier) }
        return try body()
    }

    /// Applies `settings` (nil: none) on this thread until replaced again; returns the earlier
    /// ones, for code that cannot pass a closure (an initializer setting its constants).
    @discardableResult
    public static func replace(with settings: RunSettings?) -> RunSettings? {
        let earlier = onThisThread
        set(settings)
        return earlier
    }

    /// The settings applied on this thread, nil where none are.
    public static var onThisThread: RunSettings? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<Box>.fromOpaque(raw).takeUnretainedValue().settings
    }

    private final class Box {
        let settings: RunSettings
        init(_ settings: RunSettings) { self.settings = settings }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() } }
        return key
    }()

    private static func set(_ settings: RunSettings?) {
        if let raw = pthread_getspecific(key) { Unmanaged<Box>.fromOpaque(raw).release() }
        pthread_setspecific(key, settings.map { Unmanaged.passRetained(Box($0)).toOpaque() })
        vs_dnnl_set_thread_budget_here(Int32(settings?.cores ?? 0))
    }
}
