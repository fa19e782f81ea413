import ArgumentParser
import Tensor

/// `--precision f32|bf16|auto`: the model's large products in oneDNN at that precision (auto:
/// bf16 where the CPU has bf16 instructions). Without it, $VIDSEARCH_GEMM and
/// $VIDSEARCH_PRECISION decide (OpenBLAS when unset). `vidsearch model info` says which and why.
struct PrecisionOption: ParsableArguments {
    @Option(help: "Matrix products in oneDNN at this precision: f32, bf16 or auto (bf16 where the CPU has it). Default: $VIDSEARCH_GEMM/$VIDSEARCH_PRECISION, else OpenBLAS f32.")
    var precision: String?

    func validate() throws {
        if let precision, !["f32", "bf16", "auto"].contains(precision.lowercased()) {
            throw ValidationError("--precision is f32, bf16 or auto, not \(precision)")
        }
    }

    /// Applies the choice; call before the model runs.
    func apply() {
        guard let precision else { return }
        ProductEngine.choose(precision: precision.lowercased(), source: "--precision \(precision.lowercased())")
    }
}
