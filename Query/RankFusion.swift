/// Two ranked lists of segments made one by reciprocal rank fusion (Cormack, Clarke and
/// Buettcher 2009; the fusion Elasticsearch and OpenSearch offer for hybrid search): a segment
/// scores the sum over the lists it is in of 1 / (k + its rank there), ranks counted from 1.
/// Ranks, not scores, are fused: a cosine and a BM25 are on scales nothing relates.
///
/// With k = 60 a segment found by both lists, in the first 38 places of the words' list, scores
/// above any found by one list alone (1/61 + nothing < 1/98 + 1/160, the pictures' list holding
/// at most the 100 candidates reranked).
enum RankFusion {
    static let k: Float = 60

    /// `visual` ranked by cosine, `speech` by BM25; each at most one entry per segment.
    /// Without any speech hit the visual list is returned as it is (its scores stay cosines).
    static func fuse(visual: [SearchResult], speech: [SearchResult]) -> [SearchResult] {
        guard !speech.isEmpty else { return visual }
        var fused: [Int64: SearchResult] = [:]
        var order: [Int64] = []
        for (rank, hit) in visual.enumerated() {
            var entry = hit
            entry.visualScore = hit.score
            entry.score = 1 / (k + Float(rank + 1))
            fused[hit.segmentId] = entry
            order.append(hit.segmentId)
        }
        for (rank, hit) in speech.enumerated() {
            let share = 1 / (k + Float(rank + 1))
            if var entry = fused[hit.segmentId] {
                entry.score += share
                entry.speech = hit.speech
                fused[hit.segmentId] = entry
            } else {
                var entry = hit
                entry.score = share
                fused[hit.segmentId] = entry
                order.append(hit.segmentId)
            }
        }
        return order.map { fused[$0]! }.sorted { ($0.score, -$0.segmentId) > ($1.score, -$1.segmentId) }
    }
}
