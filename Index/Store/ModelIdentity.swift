import Foundation

/// Which model an index was built with: a name for people, a fingerprint for certainty, and
/// the sizes the stored vectors have. An index refuses writes and queries from another model.
public struct ModelIdentity: Codable, Equatable {
    public var name: String
    public var fingerprint: String
    public var dimension: Int
    public var promptTokens: Int

    public init(name: String, fingerprint: String, dimension: Int, promptTokens: Int) {
        self.name = name
        self.fingerprint = fingerprint
        self.dimension = dimension
        self.promptTokens = promptTokens
    }

    /// Fingerprints config.json and model.safetensors (its size and sampled bytes) in `directory`.
    public init(directory: URL, dimension: Int, promptTokens: Int) throws {
        let config = directory.appendingPathComponent("config.json")
        guard let configBytes = FileManager.default.contents(atPath: config.path) else {
            throw IndexError.unreadable(path: config.path, reason: "missing")
        }
        let weights = try Fingerprint.file(directory.appendingPathComponent("model.safetensors").path)
        self.init(name: directory.standardizedFileURL.lastPathComponent,
                  fingerprint: Fingerprint.bytes([Array(configBytes), Array(weights.utf8)]),
                  dimension: dimension, promptTokens: promptTokens)
    }

    public var description: String { "\(name) (\(fingerprint.prefix(12)))" }
}
