/// Why ingest could not go on with a model or a configuration (per-file problems are DecodeError).
public enum IngestError: Error, CustomStringConvertible, Equatable {
    case badPreprocessor(path: String, reason: String)
    case imageSizeMismatch(model: Int, preprocessor: String)

    public var description: String {
        switch self {
        case .badPreprocessor(let path, let reason): return "\(path): bad preprocessor configuration (\(reason))"
        case .imageSizeMismatch(let model, let preprocessor):
            return "the preprocessor makes \(preprocessor) frames but the model expects \(model)x\(model)"
        }
    }
}
