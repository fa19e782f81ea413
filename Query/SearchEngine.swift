import Foundation
import Tensor
import VideoIndex
import XCLIP

/// Answers text queries over an index: text -> tokens -> text embedding -> FAISS top
/// candidates -> each candidate's video-specific prompt over its stored tokens -> cosine with
/// its video embedding -> the best k. Same index and query, same results in the same order.
public final class SearchEngine {
    public let model: XCLIPModel
    public let tokenizer: CLIPTokenizer
    public let store: IndexStore
    public let vectors: VectorCache
    public let reranker: PromptReranker
    /// Candidates reranked at once: 500 x 8 tokens x 512 floats is 8 MB of prompt tokens at B/32.
    static let rerankChunk = 500

    public init(model: XCLIPModel, tokenizer: CLIPTokenizer, store: IndexStore) throws {
        self.model = model
        self.tokenizer = tokenizer
        self.store = store
        vectors = try VectorCache.open(store)
        reranker = PromptReranker(model: model)
    }

    /// The CLIP ids of a query: special-token strings typed by the user, in any spelling that
    /// cleaning turns into one, are dropped (an injected end token would move the pooling position).
    public func tokens(_ text: String) throws -> [Int] {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw QueryError.emptyQuery }
        let ids = tokenizer.encode(text, specialTokens: false)
        guard ids.count > 2 else { throw QueryError.noTokens(text) }
        return ids
    }

    public func search(_ text: String, options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
        try search(tokens: try tokens(text), options: options)
    }

    /// A search from token ids as the model reads them ([start] + ids + [end]).
    public func search(tokens ids: [Int], options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
        let textEmbedding = try model.encodeText(ids)

        // First stage: cosine against the stored (normalized) video embeddings.
        // Never ask FAISS for more than it holds: k is allocated up front on its side.
        let wanted = min(max(options.candidates, options.k) + vectors.tombstones, vectors.index.count)
        guard wanted > 0 else { return [] }
        let hits = try vectors.index.search(VectorCache.normalized(textEmbedding), k: wanted)[0]
        let found = try store.lookup(hits.map(\.id))  // drops ids LMDB no longer has
        var candidates: [SearchResult] = hits.compactMap { hit in
            guard let (segment, path) = found[hit.id] else { return nil }
            return SearchResult(path: path, videoId: segment.videoId, segmentId: hit.id,
                                start: segment.start, end: segment.end, score: hit.score, thumbnail: nil)
        }
        candidates = Array(candidates.prefix(max(options.candidates, options.k)))

        // Second stage: the video-specific prompt for each candidate.
        // In chunks, so that the prompt tokens held at once stay bounded whatever is asked.
        if options.rerank {
            for chunk in stride(from: 0, to: candidates.count, by: Self.rerankChunk) {
                let range = chunk..<min(chunk + Self.rerankChunk, candidates.count)
                let scores = try reranker.scores(text: textEmbedding, segments: candidates[range].map(\.segmentId), store: store)
                for (i, score) in zip(range, scores) { candidates[i].score = score }
            }
        }
        var results = candidates.sorted { ($0.score, -$0.segmentId) > ($1.score, -$1.segmentId) }
        if options.perVideo { results = PerVideoMerge.merge(results) }
        results = Array(results.prefix(options.k))
        if options.thumbnails {
            for i in results.indices { results[i].thumbnail = try store.thumbnail(segment: results[i].segmentId) }
        }
        return results
    }
}
