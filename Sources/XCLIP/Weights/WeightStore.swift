import Foundation
import Tensor

/// Where a model's parameters come from: a checkpoint, or seeded random values for benchmarks.
public protocol TensorSource {
    /// The f32 tensor `name`, or nil if the source has none by that name. `shape` is what the
    /// model expects; a checkpoint returns what it holds (the caller checks), a generator makes it.
    func tensor(named name: String, shape: [Int]) throws -> Tensor?
    /// Whether `name` is stored as IEEE f16, so that keeping it in f16 loses nothing.
    func isHalf(_ name: String) -> Bool
}

extension TensorSource {
    public func isHalf(_ name: String) -> Bool { false }
}

extension SafeTensorsFile: TensorSource {
    public func tensor(named name: String, shape: [Int]) throws -> Tensor? {
        entries[name] == nil ? nil : try floatTensor(name)
    }

    public func isHalf(_ name: String) -> Bool { entries[name]?.dtype == "F16" }
}

/// Seeded uniform weights of any requested shape; layer-norm scales stay near 1 so
/// activations keep a realistic range through many layers.
/// With `half`, every weight is rounded to f16 and reported as stored that way (an f16 checkpoint).
public final class RandomTensorSource: TensorSource {
    private var rng: SeededRandom
    private let half: Bool
    private let scale: Float
    /// `scale`: the values' spread. The checkpoints' 0.02 leaves attention nearly uniform; tests
    /// of attention arithmetic use more so that a wrong weight shows.
    public init(seed: UInt64, half: Bool = false, scale: Float = 0.02) {
        rng = SeededRandom(seed: seed)
        self.half = half
        self.scale = scale
    }

    public func isHalf(_ name: String) -> Bool { half }

    public func tensor(named name: String, shape: [Int]) throws -> Tensor? {
        let t = rng.tensor(shape, scale: scale)
        if name.hasSuffix("norm.weight") || name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight")
            || name.hasSuffix("norm3.weight") || name.hasSuffix("_ln.weight") || name.hasSuffix("layernorm.weight")
        {
            for i in 0..<t.count { t.data[i] += 1 }
        }
        if half { for i in 0..<t.count { t.data[i] = Float(Float16(t.data[i])) } }  // last, so isHalf holds
        return t
    }
}

/// Fetches parameters by their Hugging Face names, checking each shape.
struct WeightStore {
    let source: TensorSource

    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        guard let t = try source.tensor(named: name, shape: shape) else {
            throw ModelError.missingTensor(name: name, expectedShape: shape)
        }
        guard t.shape == shape else { throw ModelError.wrongShape(name: name, expected: shape, found: t.shape) }
        // A NaN or infinite weight makes every embedding NaN, which a cosine ranking hides.
        if let i = firstNonFinite(t.data, count: t.count) {
            throw ModelError.nonFinite(name: name, index: i, value: t.data[i])
        }
        return t
    }

    /// With `compact`, the weight is packed in panels for few-row products (Linear's `panels`),
    /// kept f16 if stored so; else it is f32 in nn.Linear's layout.
    /// Panels in f16 whatever the checkpoint holds when the products run in bf16: a 16-bit weight
    /// as bf16 products round to (with three more bits of mantissa), and half the bytes a text
    /// query reads. In f32 they keep the checkpoint's precision.
    static var halfPanels: Bool { ProductEngine.current == .onednnBF16 }

    func linear(_ prefix: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true, compact: Bool = false) throws -> Linear {
        let weight = try tensor(prefix + ".weight", [outFeatures, inFeatures])
        let b = bias ? try tensor(prefix + ".bias", [outFeatures]) : nil
        if compact { return Linear(panels: PanelMatrix(weight, half: Self.halfPanels || source.isHalf(prefix + ".weight")), bias: b) }
        return Linear(weight: weight, bias: b, releasable: Self.releasable(prefix))
    }

    /// The vision encoder's own layers: every product has a segment's tokens as rows (at least
    /// 50), and nothing else reads their weights. (The message layers have a row per frame.)
    static func releasable(_ prefix: String) -> Bool {
        prefix.hasPrefix("vision_model.encoder.layers.") && !prefix.contains(".message_")
    }

    func layerNorm(_ prefix: String, width: Int, epsilon: Float) throws -> LayerNorm {
        LayerNorm(
            weight: try tensor(prefix + ".weight", [width]), bias: try tensor(prefix + ".bias", [width]),
            epsilon: epsilon)
    }

    /// q, k and v projections stacked into one [3C, C] map so that one product computes all three.
    func fusedQKV(_ prefix: String, width: Int, bias: Bool = true, compact: Bool = false) throws -> Linear {
        let names = ["q_proj", "k_proj", "v_proj"].map { "\(prefix).\($0)" }
        let parts = try names.map { try linear($0, in: width, out: width, bias: bias) }
        let weight = Tensor(shape: [3 * width, width])
        let fusedBias = bias ? Tensor(shape: [3 * width]) : nil
        for (i, part) in parts.enumerated() {
            (weight.data + i * width * width).update(from: part.weight.data, count: width * width)
            if let b = part.bias { (fusedBias!.data + i * width).update(from: b.data, count: width) }
        }
        if compact {
            return Linear(panels: PanelMatrix(weight, half: Self.halfPanels || names.allSatisfy { source.isHalf($0 + ".weight") }), bias: fusedBias)
        }
        return Linear(weight: weight, bias: fusedBias, releasable: Self.releasable(prefix))
    }
}
