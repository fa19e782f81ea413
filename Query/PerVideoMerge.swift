/// Merges each video's adjacent or overlapping hits into one hit spanning them, with the best
/// score among them and that hit's segment. Order: score descending, then segment id.
enum PerVideoMerge {
    static func merge(_ results: [SearchResult]) -> [SearchResult] {
        var merged: [SearchResult] = []
        let byVideo = Dictionary(grouping: results, by: \.videoId)
        for (_, hits) in byVideo {
            var run: SearchResult?
            for hit in hits.sorted(by: { ($0.start, $0.segmentId) < ($1.start, $1.segmentId) }) {
                guard var current = run else { run = hit; continue }
                if hit.start <= current.end + 1e-6 {
                    let best = hit.score > current.score ? hit : current
                    current = SearchResult(path: best.path, videoId: best.videoId, segmentId: best.segmentId,
                                           start: min(current.start, hit.start), end: max(current.end, hit.end),
                                           score: best.score, thumbnail: best.thumbnail)
                    run = current
                } else {
                    merged.append(current)
                    run = hit
                }
            }
            if let run { merged.append(run) }
        }
        return merged.sorted { ($0.score, -$0.segmentId) > ($1.score, -$1.segmentId) }
    }
}
