import ArgumentParser
import Tensor

/// `--precision f32|bf16|auto`: the model's large products at that precision (auto, the
/// default: bf16 where the CPU has bf16 instructions). Without it, $VIDSEARCH_PRECISION
/// decides; $VIDSEARCH_GEMM=openblas|onednn names the library. `vidsearch model info` says
/// which and why.
struct PrecisionOption: ParsableArguments {
    @Option(
        help:
            "The model's matrix products in f32, bf16 or auto (bf16 where the CPU has bf16 instructions, else f32). Default: $VIDSEARCH_PRECISION, else auto."
    )
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
