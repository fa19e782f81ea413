import Foundation
import Tensor
import VideoIndex
import XCLIP

/// Scores candidates with X-CLIP's trained similarity: cos(video embedding, text embedding
/// prompted by that video's tokens), all candidates in one batched, folded prompt pass.
public struct PromptReranker {
    public let model: XCLIPModel

    public init(model: XCLIPModel) { self.model = model }

    /// The reranked cosine of each segment, in order (-inf for a segment LMDB no longer has).
    public func scores(text: [Float], segments: [Int64], store: IndexStore) throws -> [Float] {
        let p = model.embeddingSize, n = model.promptTokenCount
        let tokens = Tensor(shape: [segments.count, n, p])
        var videos: [[Float]] = []
        var present: [Int] = []
        for (i, id) in segments.enumerated() {
            let slot = tokens.data + present.count * n * p
            guard try store.promptTokens(segment: id, into: slot), let video = try store.embedding(segment: id) else { continue }
            videos.append(video)
            present.append(i)
        }
        var result = [Float](repeating: -.infinity, count: segments.count)
        guard !present.isEmpty else { return result }
        let prompted = model.promptedTextEmbedding(text, videos: tokens.data, count: present.count)
        for (row, i) in present.enumerated() {
            result[i] = videos[row].withUnsafeBufferPointer { v in
                dot(prompted.row(row), v.baseAddress!, count: p) / (norm(prompted.row(row), count: p) * norm(v.baseAddress!, count: p))
            }
        }
        return result
    }
}
