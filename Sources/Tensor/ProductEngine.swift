import DNNLBridge
import Foundation

/// Which library runs the model's large matrix products (Linear layers with more than
/// FewRowProduct's rows): OpenBLAS sgemm, or oneDNN in f32 or bf16 (f32 accumulation; layer
/// norms, softmax and residuals stay f32). Chosen once per process from $VIDSEARCH_GEMM
/// (openblas | onednn | auto) and $VIDSEARCH_PRECISION (f32 | bf16 | auto), or `--precision`,
/// or set by code before the first product.
///
/// The default (both auto) follows the CPU: bf16 in oneDNN where it has bf16 instructions
/// (AVX512_BF16 or AMX); f32 in oneDNN on other AVX-512 CPUs (about 2x OpenBLAS's rate there);
/// OpenBLAS below AVX-512, where oneDNN f32 measured no faster for the model's shapes
/// (BENCHMARKS.md, the AVX2 rows).
public enum ProductEngine: String {
    case openblas, onednnF32 = "onednn-f32", onednnBF16 = "onednn-bf16"

    public static var current: ProductEngine {
        get { lock.lock(); defer { lock.unlock() }; if chosen == nil { chosen = fromEnvironment() }; return chosen!.engine }
        set { lock.lock(); chosen = (newValue, "set by the program"); lock.unlock() }
    }

    /// Why `current` is what it is, for `model info` and the benchmarks.
    public static var reason: String { _ = current; lock.lock(); defer { lock.unlock() }; return chosen!.reason }

    /// The precision of the products, as the index records it: "f32" or "bf16".
    public var precision: String { self == .onednnBF16 ? "bf16" : "f32" }

    /// oneDNN's threads set to the model's (VIDSEARCH_THREADS or every core); touch before any
    /// oneDNN call.
    public static let oneDNNThreads: Void = vs_dnnl_set_threads(Int32(Parallel.cores))

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
        let why = precision == "bf16" ? "bf16 was asked for (\(source)), but this CPU has no bf16 instructions (\(isa))"
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

/// A Linear layer's weights in oneDNN's layout, made on first use for each precision.
final class DNNLWeights {
    private let lock = NSLock()
    private var linears: [Bool: OpaquePointer] = [:]
    private var failed: Set<Bool> = []

    deinit { for l in linears.values { vs_dnnl_linear_destroy(l) } }

    /// out[rows, n] += in[rows, k] W^T; false when oneDNN cannot (the caller falls back).
    func apply(weight: Tensor, rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, bf16: Bool) -> Bool {
        ProductEngine.oneDNNThreads
        lock.lock()
        var linear = linears[bf16]
        if linear == nil && !failed.contains(bf16) {
            var error = [CChar](repeating: 0, count: 256)
            if let made = vs_dnnl_linear_create(Int64(weight.shape[1]), Int64(weight.shape[0]), weight.data, bf16 ? 1 : 0, &error, error.count) {
                linears[bf16] = made
                linear = made
            } else {
                failed.insert(bf16)
            }
        }
        lock.unlock()
        guard let linear else { return false }
        return vs_dnnl_linear_apply(linear, Int64(rows), input, output) == 0
    }
}
