/// Recall at k over a set of queries: the share of queries whose first right answer ranks
/// within the first k. The quality and speech benchmarks both report it (R@1, R@5).
struct Recall {
    /// Each query's 0-based rank of its first right answer; nil where none was found.
    private var ranks: [Int?] = []

    /// One query, by the rank of its first right answer in its ranked list.
    mutating func add<T>(_ ranked: [T], right: (T) -> Bool) {
        ranks.append(ranked.firstIndex(where: right))
    }

    var queries: Int { ranks.count }

    /// The share of queries answered within the first `k`; 0 with no queries.
    func at(_ k: Int) -> Double {
        guard !ranks.isEmpty else { return 0 }
        return Double(ranks.filter { ($0 ?? k) < k }.count) / Double(ranks.count)
    }
}
