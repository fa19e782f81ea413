/// A video's hits become its moments: the contiguous run of segments around its best one whose
/// scores stay within a margin of that peak, and each further run of the same video that climbs
/// above the margin on its own is a second moment. Segments below the margin are no moment of
/// their own (the video's weak windows are not the answer when its peak is). Each moment spans
/// its run, with its peak's score and segment (so its thumbnail). Order: score descending, then
/// segment id.
///
/// The margin is relative to this query's scores, so the rule works for any model's scale: a
/// segment stays in its video's moment while it is within `margin` of the way from the query's
/// lower-quartile score up to that video's peak (a video that barely stands out gets a short moment).
/// Merging every adjacent candidate, as before, made a whole video one hit on a small archive
/// (every segment is a candidate there).
///
/// A moment never crosses a cut: a run ends where its video's shot does (the cuts stored at
/// ingest; a video indexed without them is one shot here). Segments never straddle a cut, so a
/// segment's shot is the one its middle falls in.
enum PerVideoMerge {
    /// How far below its video's peak a segment may fall, as a fraction of that peak's height
    /// above the query's lower-quartile score, and still be part of a moment. Chosen with
    /// shot-aware segments (a run stops at a cut, so a wide margin no longer spills into the next
    /// shot) on Benchmarks/eval_moments.py's videos, by hand (the rule replayed in Python on their
    /// searches, before hard cuts were judged by colour): 0.6 gave the best mean IoU of 0.3, 0.5,
    /// 0.6, 0.8 and 1.0 in the second style, and 0.5 and up were alike in the first. BENCHMARKS.md
    /// (moments) has the default's figures, which the benchmark reproduces.
    static let margin: Float = 0.6

    /// `cuts`: each video's shot boundaries, ascending (absent: no cuts known).
    static func merge(_ results: [SearchResult], cuts: [UInt64: [Double]] = [:]) -> [SearchResult] {
        guard let low = lowerQuartile(results) else { return [] }
        var moments: [SearchResult] = []
        for (video, hits) in Dictionary(grouping: results, by: \.videoId) {
            let boundaries = cuts[video] ?? []
            func shot(_ hit: SearchResult) -> Int {
                let middle = (hit.start + hit.end) / 2
                return boundaries.firstIndex { $0 > middle } ?? boundaries.count
            }
            let ordered = hits.sorted { ($0.start, $0.segmentId) < ($1.start, $1.segmentId) }
            let peak = ordered.map(\.score).max()!
            let floor = peak - margin * max(peak - low, 1e-6)
            var run: SearchResult?
            for hit in ordered {
                guard hit.score >= floor else {
                    if let current = run { moments.append(current) }  // the run ends below the margin
                    run = nil
                    continue
                }
                guard let current = run, hit.start <= current.end + 1e-6, shot(hit) == shot(current) else {
                    if let current = run { moments.append(current) }  // a gap in time or a cut ends it too
                    run = hit
                    continue
                }
                var best = hit.score > current.score ? hit : current  // its score, segment, thumbnail and line
                best.start = min(current.start, hit.start)
                best.end = max(current.end, hit.end)
                run = best
            }
            if let run { moments.append(run) }
        }
        return moments.sorted { ($0.score, -$0.segmentId) > ($1.score, -$1.segmentId) }
    }

    /// The query's lower-quartile score (what a segment that is not the answer scores; the
    /// median would be the answer's own level in a small archive where it fills half the
    /// footage); nil without results. Scores are finite here (SearchEngine drops the rest).
    static func lowerQuartile(_ results: [SearchResult]) -> Float? {
        let scores = results.map(\.score).sorted()
        return scores.isEmpty ? nil : scores[scores.count / 4]
    }
}
