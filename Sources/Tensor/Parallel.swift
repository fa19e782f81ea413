import DNNLBridge
import Dispatch
import Foundation

/// Splits 0..<count into one contiguous chunk per core (or `pieces` per core, taken in turn by
/// whichever thread is free) and runs `body` on each at once, when the work is large enough to
/// pay for waking the other threads; otherwise runs it inline.
@inline(__always)
public func parallelChunks(_ count: Int, minimumPerChunk: Int = 32_768, pieces: Int = 1, _ body: (Range<Int>) -> Void) {
    let chunks = min(Parallel.cores * pieces, count / max(minimumPerChunk, 1))
    guard chunks > 1 else {
        body(0..<count)
        return
    }
    let cores = vs_settings_cores_here(), engine = vs_settings_engine_here()
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        withCallersSettings(cores, engine) { body((c * count / chunks)..<((c + 1) * count / chunks)) }
    }
}

/// Runs body(0) ..< body(count) at once, one per core.
@inline(__always)
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count == 1 {
        body(0)
        return
    }
    let cores = vs_settings_cores_here(), engine = vs_settings_engine_here()
    DispatchQueue.concurrentPerform(iterations: count) { i in withCallersSettings(cores, engine) { body(i) } }
}

public enum Parallel {
    /// Threads the model uses on this thread: its RunSettings' budget while one is applied
    /// here, else the process's default (every online core, or $VIDSEARCH_THREADS). oneDNN
    /// follows it. Setting it changes the process's default, which only a command's start does.
    public static var cores: Int {
        get { RunSettings.coresHere ?? processCores }
        set {
            processCores = newValue
            vs_dnnl_set_threads(Int32(newValue))
        }
    }
    private static var processCores: Int = allCores

    /// Every online core, or $VIDSEARCH_THREADS when set.
    public static let allCores: Int = {
        if let value = ProcessInfo.processInfo.environment["VIDSEARCH_THREADS"].flatMap(Int.init), value > 0 { return value }
        return System.activeProcessors
    }()
}

enum System {
    static var activeProcessors: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
