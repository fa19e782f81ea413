import Foundation
import Tensor
import VideoIndex
import XCLIP

/// Scores candidates with X-CLIP's trained similarity: cos(video embedding, text embedding
/// prompted by that video's tokens), all candidates in one batched, folded prompt pass.
public struct PromptReranker {
    public let model: XCLIPModel

    public init(model: XCLIPModel) { self.model = model }

    /// The reranked cosine of each segment, in order: -inf for a segment LMDB no longer has, the
    /// plain cosine with the text for one stored without prompt tokens.
    public func scores(text: [Float], segments: [Int64], store: IndexStore) throws -> [Float] {
        let p = model.embeddingSize, n = model.promptTokenCount
        let tokens = Tensor(uninitialized: [max(segments.count, 1), n, p])
        var videos: [[Float]] = []
        var prompted: [Int] = []
        var result = [Float](repeating: -.infinity, count: segments.count)
        for (i, input) in try store.rerankInputs(segments, tokens: tokens.data).enumerated() {
            guard let (video, hasTokens) = input else { continue }
            if hasTokens {
                videos.append(video)
                prompted.append(i)
            } else {
                result[i] = XCLIPModel.cosine(text, video)
            }
        }
        guard !prompted.isEmpty else { return result }
        let embeddings = model.promptedTextEmbedding(text, videos: tokens.data, count: prompted.count)
        for (row, i) in prompted.enumerated() {
            result[i] = videos[row].withUnsafeBufferPointer { v in
                dot(embeddings.row(row), v.baseAddress!, count: p) / (norm(embeddings.row(row), count: p) * norm(v.baseAddress!, count: p))
            }
        }
        return result
    }
}
