import Foundation

/// Which model an index was built with: a name for people, a fingerprint for certainty, and
/// the sizes the stored vectors have. An index refuses writes and queries from another model.
public struct ModelIdentity: Codable, Equatable {
    public var name: String
    public var fingerprint: String
    public var dimension: Int
    public var promptTokens: Int
    /// The fingerprint this model had before preprocessing was part of it (config and weights
    /// only): an index made then is recognised, and its next writer stamps it with `fingerprint`.
    public var legacyFingerprint: String?

    public init(name: String, fingerprint: String, dimension: Int, promptTokens: Int) {
        self.name = name
        self.fingerprint = fingerprint
        self.dimension = dimension
        self.promptTokens = promptTokens
    }

    /// Fingerprints everything in `directory` that changes an embedding: config.json,
    /// preprocessor_config.json (mean, std, sizes; absent means the official defaults) and
    /// the weights file (model.safetensors or pytorch_model.bin: its size and sampled bytes).
    public init(directory: URL, dimension: Int, promptTokens: Int) throws {
        let config = directory.appendingPathComponent("config.json")
        guard let configBytes = FileManager.default.contents(atPath: config.path) else {
            throw IndexError.unreadable(path: config.path, reason: "missing")
        }
        // The weights the model loads: model.safetensors, else pytorch_model.bin (XCLIPModel's rule).
        var weightsPath = directory.appendingPathComponent("model.safetensors").path
        let torch = directory.appendingPathComponent("pytorch_model.bin").path
        if !FileManager.default.fileExists(atPath: weightsPath), FileManager.default.fileExists(atPath: torch) { weightsPath = torch }
        let weights = try Fingerprint.file(weightsPath)
        var parts = [Array(configBytes), Array(weights.utf8)]
        let legacy = Fingerprint.bytes(parts)
        if let preprocessing = FileManager.default.contents(atPath: directory.appendingPathComponent("preprocessor_config.json").path) {
            parts.append(Array(preprocessing))
        }
        self.init(
            name: directory.standardizedFileURL.lastPathComponent,
            fingerprint: Fingerprint.bytes(parts),
            dimension: dimension, promptTokens: promptTokens)
        legacyFingerprint = legacy
    }

    /// Whether an index recorded as `stored` was made by this model (now or before preprocessing
    /// joined the fingerprint).
    public func matches(_ stored: ModelIdentity) -> Bool {
        (fingerprint == stored.fingerprint || (legacyFingerprint != nil && legacyFingerprint == stored.fingerprint))
            && dimension == stored.dimension && promptTokens == stored.promptTokens
    }

    public var description: String { "\(name) (\(fingerprint.prefix(12)))" }
}
