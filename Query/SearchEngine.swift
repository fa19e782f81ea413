import Foundation
import Tensor
import VideoIndex
import XCLIP

/// Answers text queries over an index. The pictures: text -> tokens -> text embedding -> FAISS
/// top candidates -> each candidate's video-specific prompt over its stored tokens -> cosine
/// with its video embedding. The words said: the text cache's BM25 over subtitle and transcript
/// cues -> the segments each cue is shown over. Both lists fused by reciprocal rank (RankFusion),
/// then the best k. Same index and query, same results in the same order.
public final class SearchEngine {
    public let model: XCLIPModel
    public let tokenizer: CLIPTokenizer
    public let store: IndexStore
    public private(set) var vectors: VectorCache
    /// The full-text cache of the index's subtitle and transcript cues.
    public private(set) var text: TextCache
    public let reranker: PromptReranker
    /// Candidates reranked at once, so that the prompt tokens held at once stay bounded (a
    /// candidate holds promptTokenCount x embeddingSize floats: 49 x 512 at B/32).
    static let rerankChunk = 500

    public init(model: XCLIPModel, tokenizer: CLIPTokenizer, store: IndexStore) throws {
        self.model = model
        self.tokenizer = tokenizer
        self.store = store
        vectors = try VectorCache.open(store)
        text = try TextCache.open(store)
        reranker = PromptReranker(model: model)
    }

    /// Sees what was committed since it opened (by a watcher beside a server): the vector cache
    /// caught up in memory. Cheap when nothing changed: one read of the meta record.
    public func refresh() throws {
        if !store.isWriter { try store.reloadMeta() }
        vectors = try vectors.caughtUp(store)
        text = try text.caughtUp(store)
    }

    /// The CLIP ids of a query: special-token strings typed by the user, in any spelling that
    /// cleaning turns into one, are dropped (an injected end token would move the pooling position).
    public func tokens(_ text: String) throws -> [Int] {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw QueryError.emptyQuery }
        let ids = tokenizer.encode(text, specialTokens: false)
        guard ids.count > 2 else { throw QueryError.noTokens(text) }
        return ids
    }

    /// The pictures and the words said (`options.signals`), fused.
    public func search(_ text: String, options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw QueryError.emptyQuery }
        let visual = options.signals.visual ? try ranked(tokens: try tokens(text), options: options) : []
        let speech = options.signals.speech ? try spoken(TextQuery(text), options: options) : []
        return try finish(RankFusion.fuse(visual: visual, speech: speech), options: options)
    }

    /// A search of the pictures alone, from token ids as the model reads them ([start] + ids + [end]).
    public func search(tokens ids: [Int], options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
        try finish(try ranked(tokens: ids, options: options), options: options)
    }

    /// Moments (with `perVideo`), the best k, thumbnails.
    private func finish(_ ranked: [SearchResult], options: SearchOptions) throws -> [SearchResult] {
        var results = ranked
        if options.perVideo { results = PerVideoMerge.merge(results, cuts: try cuts(of: results)) }
        results = Array(results.prefix(options.k))
        if options.thumbnails {
            for i in results.indices { results[i].thumbnail = try store.thumbnail(segment: results[i].segmentId) }
        }
        return results
    }

    /// The segments whose subtitle or transcript lines match `query`, best line first (BM25),
    /// each segment once (under its best line), among those the filters let through; at most
    /// `max(candidates, k)`. Lines are fetched in pages until enough segments pass.
    func spoken(_ query: TextQuery, options: SearchOptions) throws -> [SearchResult] {
        let needed = max(options.candidates, options.k)
        guard query.expression != nil else { return [] }
        var results: [SearchResult] = []
        var seen = Set<Int64>()
        var offset = 0
        var page = needed
        let facts = try options.videos.map { _ in try videoFacts() }
        while results.count < needed {
            let hits = try text.search(query, limit: page, offset: offset)
            let found = try store.lookup(hits.flatMap(\.segments))
            for hit in hits {
                if let filter = options.videos {
                    guard let fact = facts?[hit.videoId], filter.matches(date: fact.date, duration: fact.duration) else { continue }
                }
                for id in hit.segments where !seen.contains(id) {
                    guard let (segment, path) = found[id], options.paths?.matches(path) ?? true else { continue }
                    seen.insert(id)
                    var result = SearchResult(
                        path: path, videoId: segment.videoId, segmentId: id, start: segment.start, end: segment.end,
                        score: Float(hit.relevance), thumbnail: nil)
                    result.speech = SpeechMatch(hit)
                    results.append(result)
                }
            }
            if hits.count < page { break }
            offset += page
            page *= 4
        }
        return Array(results.prefix(needed))
    }

    /// The pictures' ranking: the first stage, then the video-specific prompt rerank.
    func ranked(tokens ids: [Int], options: SearchOptions) throws -> [SearchResult] {
        let textEmbedding = try model.encodeText(ids)

        // First stage: cosine against the stored (normalized) video embeddings.
        var candidates = try firstStage(VectorCache.normalized(textEmbedding), options: options)

        // Second stage: the video-specific prompt for each candidate (X-CLIP; a CLIP checkpoint
        // has none, and its first stage is the answer).
        // In chunks, so that the prompt tokens held at once stay bounded whatever is asked.
        if options.rerank && model.reranks {
            for chunk in stride(from: 0, to: candidates.count, by: Self.rerankChunk) {
                let range = chunk..<min(chunk + Self.rerankChunk, candidates.count)
                let scores = try reranker.scores(text: textEmbedding, segments: candidates[range].map(\.segmentId), store: store)
                for (i, score) in zip(range, scores) { candidates[i].score = score }
            }
            // A segment removed since the first stage read it scores -inf: it is no hit.
            candidates.removeAll { !$0.score.isFinite }
        }
        return candidates.sorted { ($0.score, -$0.segmentId) > ($1.score, -$1.segmentId) }.map { hit in
            var hit = hit
            hit.visualScore = hit.score
            return hit
        }
    }

    /// The best `max(candidates, k)` segments by cosine, among those the path filter lets
    /// through. With a filter, FAISS is asked for 4x more until enough match or it holds no
    /// more, so that the matching segments are the same whether they rank 5th or 50,000th.
    func firstStage(_ query: [Float], options: SearchOptions, excluding: (SearchResult) -> Bool = { _ in false }) throws -> [SearchResult] {
        let needed = max(options.candidates, options.k)
        // Never ask FAISS for more than it holds: k is allocated up front on its side.
        var wanted = min(needed + vectors.tombstones, vectors.index.count)
        while true {
            guard wanted > 0 else { return [] }
            let hits = try vectors.index.search(query, k: wanted)[0]
            let found = try store.lookup(hits.map(\.id))  // drops ids LMDB no longer has
            let facts = try options.videos.map { _ in try videoFacts() }
            let kept: [SearchResult] = hits.compactMap { hit in
                guard let (segment, path) = found[hit.id], options.paths?.matches(path) ?? true else { return nil }
                if let filter = options.videos {
                    guard let fact = facts?[segment.videoId], filter.matches(date: fact.date, duration: fact.duration) else { return nil }
                }
                let result = SearchResult(
                    path: path, videoId: segment.videoId, segmentId: hit.id,
                    start: segment.start, end: segment.end, score: hit.score, thumbnail: nil)
                return excluding(result) ? nil : result
            }
            if kept.count >= needed || wanted >= vectors.index.count { return Array(kept.prefix(needed)) }
            wanted = min(wanted * 4, vectors.index.count)
        }
    }

    /// Each video's date and duration, read once per index generation (a video record decodes
    /// in tens of microseconds: too slow to read per candidate, cheap to keep).
    private var facts: (generation: UInt64, byVideo: [UInt64: (date: Double, duration: Double)])?

    func videoFacts() throws -> [UInt64: (date: Double, duration: Double)] {
        if let facts, facts.generation == store.meta.generation { return facts.byVideo }
        var byVideo: [UInt64: (date: Double, duration: Double)] = [:]
        for video in try store.videos() { byVideo[video.id] = (video.date, video.duration) }
        facts = (store.meta.generation, byVideo)
        return byVideo
    }

    /// The stored cuts of the videos these results are in (a moment never crosses one).
    func cuts(of results: [SearchResult]) throws -> [UInt64: [Double]] {
        var cuts: [UInt64: [Double]] = [:]
        for id in Set(results.map(\.videoId)) { cuts[id] = try store.video(id: id)?.cuts }
        return cuts
    }

    /// What `similar` needs of a stored segment: its embedding, and where it is (to leave out).
    public func likeSource(segment id: Int64) throws -> LikeSource? {
        guard let segment = try store.segment(id: id), let embedding = try store.embedding(segment: id),
            let video = try store.video(id: segment.videoId)
        else { return nil }
        return LikeSource(embedding: embedding, path: video.path, start: segment.start, end: segment.end)
    }

    /// The segment of an indexed file that holds `seconds` (the last one that starts by then).
    public func likeSource(path: String, seconds: Double) throws -> LikeSource? {
        guard let video = try store.video(path: path) else { return nil }
        let segments = try video.segmentIds.compactMap { try store.segment(id: $0) }.sorted { $0.start < $1.start }
        guard let segment = segments.last(where: { $0.start <= seconds }) ?? segments.first else { return nil }
        return try likeSource(segment: segment.id)
    }

    /// Segments like `source` (from this index or another: it is left out by path and time).
    public func similar(to source: LikeSource, options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
        let results = try firstStage(VectorCache.normalized(source.embedding), options: options) { hit in
            hit.path == source.path && hit.start < source.end && source.start < hit.end
        }
        return try finish(
            results.map {
                var hit = $0
                hit.visualScore = hit.score
                return hit
            }, options: options)
    }
}
