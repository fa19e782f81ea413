import Foundation
import Hub
import Ingest
import Tensor
import VideoIndex
import XCLIP

/// A model directory loaded for use: the network, its tokenizer, its preprocessing, its identity.
public struct LoadedModel {
    public let directory: URL
    public let model: XCLIPModel
    public let identity: ModelIdentity

    public init(_ flag: String?) throws {
        directory = Defaults.modelDirectory(flag)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            let named = flag ?? ProcessInfo.processInfo.environment["VIDSEARCH_MODEL"] ?? ""
            if let repo = HubCache.repository(named) {
                throw ModelError.missingFile(
                    path: "\(named): no such folder, and \(repo.id) at \(repo.revision) is not in the Hugging Face cache (\(HubCache.root().path)); "
                        + "fetch it first with `vidsearch model pull \(named)`")
            }
            throw ModelError.missingFile(path: directory.path + " (model directory; set --model or VIDSEARCH_MODEL)")
        }
        // A command keeps one engine: the vision layers' f32 weights can go once oneDNN has its copy.
        ProductEngine.releasesPlainWeights = true
        model = try XCLIPModel(directory: directory)
        identity = try ModelIdentity(directory: directory, dimension: model.embeddingSize, promptTokens: model.promptTokenCount)
    }

    /// Whether the folder has its own preprocessor_config.json (else the family's defaults apply).
    public var hasPreprocessorFile: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("preprocessor_config.json").path)
    }

    public func tokenizer() throws -> CLIPTokenizer { try CLIPTokenizer(directory: directory) }

    public func preprocessor() throws -> FramePreprocessor {
        FramePreprocessor(try PreprocessorConfiguration(modelDirectory: directory, model: model.configuration))
    }
}
