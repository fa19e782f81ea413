import DNNLBridge
import Foundation

/// Which library runs the model's large matrix products (Linear layers with more than
/// FewRowProduct's rows): OpenBLAS sgemm (the default), or oneDNN in f32 or bf16 (f32
/// accumulation; layer norms, softmax and residuals stay f32). Chosen once per process from
/// $VIDSEARCH_GEMM (openblas | onednn) and $VIDSEARCH_PRECISION (f32 | bf16 | auto: bf16
/// where the CPU has bf16 instructions), or set by code before the first product.
public enum ProductEngine: String {
    case openblas, onednnF32 = "onednn-f32", onednnBF16 = "onednn-bf16"

    public static var current: ProductEngine {
        get { lock.lock(); defer { lock.unlock() }; if chosen == nil { chosen = fromEnvironment() }; return chosen!.engine }
        set { lock.lock(); chosen = (newValue, "set by the program"); lock.unlock() }
    }

    /// Why `current` is what it is, for `model info` and the benchmarks.
    public static var reason: String { _ = current; lock.lock(); defer { lock.unlock() }; return chosen!.reason }

    public static var cpuHasBF16: Bool { vs_dnnl_has_bf16() == 1 }
    public static var oneDNNISA: String { String(cString: vs_dnnl_isa()) }

    private static let lock = NSLock()
    private static var chosen: (engine: ProductEngine, reason: String)?

    /// oneDNN at `precision` (f32, bf16, auto), saying where the request came from.
    public static func choose(precision: String, source: String) {
        let choice = resolve(precision, source: source)
        lock.lock()
        chosen = choice
        lock.unlock()
    }

    private static func fromEnvironment() -> (engine: ProductEngine, reason: String) {
        let environment = ProcessInfo.processInfo.environment
        guard environment["VIDSEARCH_GEMM"]?.lowercased() == "onednn" else {
            return (.openblas, "OpenBLAS sgemm (the default; --precision or VIDSEARCH_GEMM=onednn for oneDNN)")
        }
        let precision = environment["VIDSEARCH_PRECISION"]?.lowercased() ?? "auto"
        return resolve(precision, source: "VIDSEARCH_PRECISION=\(precision)")
    }

    private static func resolve(_ precision: String, source: String) -> (engine: ProductEngine, reason: String) {
        switch precision {
        case "f32": return (.onednnF32, "oneDNN f32 (\(source))")
        case "bf16" where cpuHasBF16: return (.onednnBF16, "oneDNN bf16 (\(source))")
        case "bf16": return (.onednnF32, "oneDNN f32: bf16 was asked for (\(source)), but this CPU has no bf16 instructions (\(oneDNNISA))")
        default:
            return cpuHasBF16 ? (.onednnBF16, "oneDNN bf16 (\(source)): the CPU has bf16 instructions (\(oneDNNISA))")
                : (.onednnF32, "oneDNN f32 (\(source)): the CPU has no bf16 instructions (\(oneDNNISA))")
        }
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
