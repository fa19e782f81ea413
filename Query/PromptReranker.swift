import Foundation
import Tensor
import VideoIndex
import XCLIP

/// Scores candidates with X-CLIP's trained similarity: cos(video embedding, text embedding
/// prompted by that video's tokens).
public struct PromptReranker {
    public let model: XCLIPModel

    public init(model: XCLIPModel) { self.model = model }

    /// The reranked cosine of each segment, in order.
    public func scores(text: [Float], segments: [Int64], store: IndexStore) throws -> [Float] {
        let p = model.embeddingSize, n = model.promptTokenCount
        let tokens = Tensor(shape: [n, p])
        return try segments.map { id in
            guard try store.promptTokens(segment: id, into: tokens.data), let video = try store.embedding(segment: id) else {
                return -Float.infinity
            }
            let prompted = model.promptedTextEmbeddings([text], promptTokens: tokens.data)[0]
            return XCLIPModel.cosine(prompted, video)
        }
    }
}
