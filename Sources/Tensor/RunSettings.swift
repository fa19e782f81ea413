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
        let cores = Int(vs_settings_cores_here())
        guard cores > 0, let engine = ProductEngine(code: vs_settings_engine_here()) else { return nil }
        return RunSettings(engine: engine, cores: cores)
    }

    /// This thread's engine where settings are applied (what ProductEngine.current reads first).
    static var engineHere: ProductEngine? { ProductEngine(code: vs_settings_engine_here()) }

    /// This thread's core budget where settings are applied (what Parallel.cores reads first).
    static var coresHere: Int? {
        let cores = Int(vs_settings_cores_here())
        return cores > 0 ? cores : nil
    }

    private static func set(_ settings: RunSettings?) {
        vs_settings_set_here(Int32(settings?.cores ?? 0), settings?.engine.code ?? 0)
    }
}

extension ProductEngine {
    /// As the thread-locals hold it (0: none).
    var code: Int32 {
        switch self {
        case .openblas: return 1
        case .onednnF32: return 2
        case .onednnBF16: return 3
        }
    }

    init?(code: Int32) {
        switch code {
        case 1: self = .openblas
        case 2: self = .onednnF32
        case 3: self = .onednnBF16
        default: return nil
        }
    }
}

/// Runs `body` on a Dispatch worker with the calling thread's settings, which Dispatch's threads
/// do not have: nested work (a product inside a parallel loop) keeps its caller's budget.
@inline(__always)
func withCallersSettings(_ cores: Int32, _ engine: Int32, _ body: () -> Void) {
    let savedCores = vs_settings_cores_here(), savedEngine = vs_settings_engine_here()
    vs_settings_set_here(cores, engine)
    body()
    vs_settings_set_here(savedCores, savedEngine)
}
