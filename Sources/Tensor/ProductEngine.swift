import DNNLBridge
import Foundation

/// Which library runs the model's large matrix products (Linear layers with more than
/// FewRowProduct's rows): OpenBLAS sgemm, or oneDNN in f32 or bf16 (f32 accumulation; layer
/// norms, softmax and residuals stay f32). Chosen once per process from $VIDSEARCH_GEMM
/// (openblas | onednn | auto) and $VIDSEARCH_PRECISION (f32 | bf16 | auto), or `--precision`,
/// or set by code before the first product.
///
/// The default (both auto) follows the CPU: bf16 in oneDNN where it has bf16 instructions
/// (AVX512_BF16 or AMX); f32 in oneDNN on other AVX-512 CPUs (faster than OpenBLAS there:
/// BENCHMARKS.md, `machine.dnnl_f32` against `machine.sgemm`);
/// OpenBLAS below AVX-512, where oneDNN f32 measured no faster for the model's shapes
/// (BENCHMARKS.md, the AVX2 rows).
public enum ProductEngine: String, Sendable {
    case openblas
    case onednnF32 = "onednn-f32"
    case onednnBF16 = "onednn-bf16"

    /// The engine on this thread: its RunSettings' while one is applied here, else the process's.
    public static var current: ProductEngine {
        get {
            if let local = RunSettings.engineHere { return local }
            lock.lock()
            defer { lock.unlock() }
            if chosen == nil { chosen = fromEnvironment() }
            return chosen!.engine
        }
        set {
            lock.lock()
            chosen = (newValue, "set by the program")
            lock.unlock()
        }
    }

    /// Why `current` is what it is, for `model info` and the benchmarks.
    public static var reason: String {
        _ = current
        lock.lock()
        defer { lock.unlock() }
        return chosen!.reason
    }

    /// The precision of the products, as the index records it: "f32" or "bf16".
    public var precision: String { self == .onednnBF16 ? "bf16" : "f32" }

    /// oneDNN's threads set to the model's (VIDSEARCH_THREADS or every core); touch before any
    /// oneDNN call.
    public static let oneDNNThreads: Void = vs_dnnl_set_threads(Int32(Parallel.cores))

    /// Whether layers that allow it give their f32 weights back once oneDNN holds a copy (see
    /// DNNLWeights). The commands set it: a process that keeps one engine saves the f32 copy
    /// (every weight matrix's size again, in bf16 runs). Off by default, for programs that switch engines on one model and
    /// compare them (tests, benchmarks): a weight written back from a bf16 copy is rounded.
    public static var releasesPlainWeights = false

    public static var cpuHasBF16: Bool { vs_dnnl_has_bf16() == 1 }
    public static var cpuHasAVX512: Bool { vs_dnnl_has_avx512() == 1 }
    public static var oneDNNISA: String { String(cString: vs_dnnl_isa()) }

    private static let lock = NSLock()
    private static var chosen: (engine: ProductEngine, reason: String)?

    /// The products at `precision` (f32, bf16, auto), saying where the request came from;
    /// $VIDSEARCH_GEMM still names the library.
    public static func choose(precision: String, source: String) {
        let choice = resolve(library: library(), precision: precision, source: source)
        lock.lock()
        chosen = choice
        lock.unlock()
    }

    /// The choice for a library (openblas, onednn, auto) and precision, and why.
    static func resolve(library: String, precision: String, source: String) -> (engine: ProductEngine, reason: String) {
        let isa = oneDNNISA
        if library == "openblas" {
            let note = precision == "bf16" ? ": bf16 needs oneDNN, so the products stay f32" : ""
            return (.openblas, "OpenBLAS sgemm f32 (VIDSEARCH_GEMM=openblas\(note))")
        }
        let wantsBF16 = precision == "bf16" || (precision == "auto" && cpuHasBF16)
        if wantsBF16 && cpuHasBF16 {
            return (.onednnBF16, precision == "auto" ? "oneDNN bf16 (\(source)): the CPU has bf16 instructions (\(isa))" : "oneDNN bf16 (\(source))")
        }
        let why =
            precision == "bf16"
            ? "bf16 was asked for (\(source)), but this CPU has no bf16 instructions (\(isa))"
            : precision == "auto" ? "\(source): the CPU has no bf16 instructions (\(isa))" : source
        if library == "onednn" || cpuHasAVX512 {
            return (.onednnF32, "oneDNN f32 (\(why))")
        }
        return (.openblas, "OpenBLAS sgemm f32 (\(why); below AVX-512 oneDNN f32 is no faster: VIDSEARCH_GEMM=onednn to use it)")
    }

    private static func library() -> String {
        let value = ProcessInfo.processInfo.environment["VIDSEARCH_GEMM"]?.lowercased() ?? ""
        return ["openblas", "onednn"].contains(value) ? value : "auto"
    }

    private static func fromEnvironment() -> (engine: ProductEngine, reason: String) {
        let value = ProcessInfo.processInfo.environment["VIDSEARCH_PRECISION"]?.lowercased() ?? ""
        let precision = ["f32", "bf16"].contains(value) ? value : "auto"
        let source = value.isEmpty ? "the default" : "VIDSEARCH_PRECISION=\(value)"
        return resolve(library: library(), precision: precision, source: source)
    }
}

/// A Linear layer's weights in oneDNN's layout, made on first use for each precision. Where the
/// layer allows it and the process has asked (`ProductEngine.releasesPlainWeights`), the f32
/// weight's memory goes back to the system once oneDNN holds its copy, and is written back from
/// that copy if anything needs it again (another library, another precision, a failed product).
final class DNNLWeights {
    private let lock = NSLock()
    private var linears: [Bool: OpaquePointer] = [:]
    private var failed: Set<Bool> = []
    /// The f32 weight's pages have been given back: its values are not there now.
    private var released = false

    deinit { for l in linears.values { vs_dnnl_linear_destroy(l) } }

    /// out[rows, n] += in[rows, k] W^T; false when oneDNN cannot (the caller falls back).
    func apply(
        weight: Tensor, rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, bf16: Bool,
        releasable: Bool
    ) -> Bool {
        ProductEngine.oneDNNThreads
        lock.lock()
        var linear = linears[bf16]
        if linear == nil && !failed.contains(bf16) {
            restoreLocked(weight)
            var error = [CChar](repeating: 0, count: 256)
            if let made = vs_dnnl_linear_create(Int64(weight.shape[1]), Int64(weight.shape[0]), weight.data, bf16 ? 1 : 0, &error, error.count) {
                linears[bf16] = made
                linear = made
                if releasable && ProductEngine.releasesPlainWeights { release(weight) }
            } else {
                failed.insert(bf16)
            }
        }
        lock.unlock()
        guard let linear else { return false }
        return vs_dnnl_linear_apply(linear, Int64(rows), input, output) == 0
    }

    /// Makes sure `weight` holds its values (after a release), before anything else reads it.
    func restore(_ weight: Tensor) {
        lock.lock()
        restoreLocked(weight)
        lock.unlock()
    }

    private func restoreLocked(_ weight: Tensor) {
        guard released else { return }
        // The f32 copy gives the exact values back; a bf16 copy gives them rounded.
        guard let copy = linears[false] ?? linears[true], vs_dnnl_linear_unpack(copy, weight.data) == 0 else {
            fatalError("a layer's weights were released and oneDNN cannot write them back")
        }
        released = false
    }

    /// Gives the whole pages inside the weight's block back to the system (they read as zeros
    /// until written again).
    private func release(_ weight: Tensor) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: weight.data) + page - 1) / page * page
        let end = (Int(bitPattern: weight.data) + weight.count * MemoryLayout<Float>.stride) / page * page
        guard end > start, madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) == 0 else { return }
        released = true
    }
}
