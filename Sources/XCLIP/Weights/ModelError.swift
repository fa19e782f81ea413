/// Why a model could not be loaded or run. Every case names the file or tensor concerned.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case unreadableFile(path: String, reason: String)
    case malformedFile(path: String, reason: String)
    case badConfiguration(path: String, reason: String)
    case missingTensor(name: String, expectedShape: [Int])
    case wrongShape(name: String, expected: [Int], found: [Int])
    case unsupportedDType(name: String, dtype: String, expected: String)
    case badInput(String)
    case nonFinite(name: String, index: Int, value: Float)

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): missing"
        case .unreadableFile(let path, let reason): return "\(path): cannot read (\(reason))"
        case .malformedFile(let path, let reason): return "\(path): malformed safetensors file (\(reason))"
        case .badConfiguration(let path, let reason): return "\(path): bad model configuration (\(reason))"
        case .missingTensor(let name, let shape): return "tensor \(name) \(shape) is missing from the checkpoint"
        case .wrongShape(let name, let expected, let found):
            return "tensor \(name) has shape \(found), expected \(expected)"
        case .unsupportedDType(let name, let dtype, let expected):
            return "tensor \(name) has dtype \(dtype), expected \(expected)"
        case .badInput(let reason): return "bad model input: \(reason)"
        case .nonFinite(let name, let index, let value): return "tensor \(name) holds \(value) at element \(index): weights must be finite"
        }
    }
}
