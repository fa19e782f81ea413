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
        case let .missingFile(path): return "\(path): missing"
        case let .unreadableFile(path, reason): return "\(path): cannot read (\(reason))"
        case let .malformedFile(path, reason): return "\(path): malformed safetensors file (\(reason))"
        case let .badConfiguration(path, reason): return "\(path): bad model configuration (\(reason))"
        case let .missingTensor(name, shape): return "tensor \(name) \(shape) is missing from the checkpoint"
        case let .wrongShape(name, expected, found):
            return "tensor \(name) has shape \(found), expected \(expected)"
        case let .unsupportedDType(name, dtype, expected):
            return "tensor \(name) has dtype \(dtype), expected \(expected)"
        case let .badInput(reason): return "bad model input: \(reason)"
        case let .nonFinite(name, index, value): return "tensor \(name) holds \(value) at element \(index): weights must be finite"
        }
    }
}
