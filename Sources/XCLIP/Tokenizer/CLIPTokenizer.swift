import Foundation

/// CLIP's byte-level BPE tokenizer, equal to the original SimpleTokenizer that X-CLIP uses:
/// clean (ftfy, HTML-unescape, whitespace, lowercase), split, map bytes to symbols, merge by
/// rank with the end-of-word mark, look up ids. Merged words are cached.
public final class CLIPTokenizer {
    public let vocabulary: BPEVocabulary
    public let contextLength: Int
    /// Keyed by UTF-8 bytes: Swift's String equality is canonical equivalence, but BPE sees bytes.
    private var cache: [[UInt8]: [Int]] = [:]
    private let lock = NSLock()

    public init(vocabulary: BPEVocabulary, contextLength: Int = 77) {
        self.vocabulary = vocabulary
        self.contextLength = contextLength
    }

    public convenience init(directory: URL, contextLength: Int = 77) throws {
        self.init(vocabulary: try BPEVocabulary(directory: directory), contextLength: contextLength)
    }

    /// The ids of the text's tokens, without start and end tokens and without truncation.
    /// `specialTokens: false` drops every special string found after cleaning (so `<|ENDOFTEXT|>`,
    /// `&lt;|endoftext|&gt;` and the fullwidth form, which cleaning turns into `<|endoftext|>`,
    /// never reach the encoder as its end token); the reference keeps them (`true`).
    public func tokenize(_ text: String, specialTokens: Bool = true) -> [Int] {
        tokenize(text, specialTokens: specialTokens, limit: .max)
    }

    /// At most `limit`-ish tokens: pieces stop once `limit` ids are collected, and a piece longer
    /// than `limit` tokens could span (32 bytes is the longest token) is cut there first. So a
    /// huge query costs what its first tokens cost, and the first `limit` ids equal the whole
    /// text's first `limit` ids.
    func tokenize(_ text: String, specialTokens: Bool, limit: Int) -> [Int] {
        // Cleaning and splitting cost what the whole text costs: a long text is first tokenized
        // from its first 8k characters (cut at a space, so no word or entity is split), which is
        // enough whenever they hold `limit` tokens; only text that is mostly space or markup needs
        // the whole of it.
        if limit != .max, let head = Self.head(of: text, scalars: 8192) {
            let ids = tokenizeAll(head, specialTokens: specialTokens, limit: limit)
            if ids.count >= limit { return ids }
        }
        return tokenizeAll(text, specialTokens: specialTokens, limit: limit)
    }

    /// The text's first `scalars` characters, moved back to a space within the last 256 of them
    /// when there is one; nil when the text is not longer.
    static func head(of text: String, scalars: Int) -> String? {
        let view = text.unicodeScalars
        guard let end = view.index(view.startIndex, offsetBy: scalars, limitedBy: view.endIndex), end < view.endIndex else { return nil }
        var cut = end, i = end
        for _ in 0..<256 where i > view.startIndex {
            i = view.index(before: i)
            if view[i].properties.isWhitespace {
                cut = i
                break
            }
        }
        return String(view[..<cut])
    }

    private func tokenizeAll(_ text: String, specialTokens: Bool, limit: Int) -> [Int] {
        var ids: [Int] = []
        let maxPieceBytes = limit == .max ? Int.max : BPEVocabulary.longestToken * (limit + 2)
        for piece in PreTokenizer.split(TextCleaner.clean(text)) {
            if ids.count >= limit { break }
            var view = piece
            if view.count > maxPieceBytes / 4, String(view).utf8.count > maxPieceBytes {
                var bytes = 0
                let end =
                    view.firstIndex {
                        bytes += $0.utf8.count
                        return bytes > maxPieceBytes
                    } ?? view.endIndex
                view = view[view.startIndex..<end]
            }
            let pieceIds = word(view)
            if !specialTokens && pieceIds.count == 1 && (pieceIds[0] == BPEVocabulary.endOfText || pieceIds[0] == BPEVocabulary.startOfText) {
                continue
            }
            ids += pieceIds
        }
        return ids
    }

    /// The model's input: [start] + tokens + [end], at most `contextLength` long (a longer
    /// text keeps its first tokens and still ends with the end token). Only the tokens that can
    /// survive that truncation are computed.
    public func encode(_ text: String, specialTokens: Bool = true) -> [Int] {
        let ids = tokenize(text, specialTokens: specialTokens, limit: contextLength - 2).prefix(contextLength - 2)
        return [BPEVocabulary.startOfText] + ids + [BPEVocabulary.endOfText]
    }

    private func word(_ piece: Substring.UnicodeScalarView) -> [Int] {
        let text = String(piece)
        let key = Array(text.utf8)
        lock.lock()
        if let hit = cache[key] {
            lock.unlock()
            return hit
        }
        lock.unlock()
        let ids: [Int]
        if let special = vocabulary.ids[text], text == "<|startoftext|>" || text == "<|endoftext|>" {
            ids = [special]
        } else {
            ids = bpe(text).map { vocabulary.ids[$0] ?? BPEVocabulary.endOfText }
        }
        lock.lock()
        if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }  // bounded memory in a long-lived server
        cache[key] = ids
        lock.unlock()
        return ids
    }

    /// Byte-level BPE of one pre-token: its UTF-8 bytes as symbols, the last marked "</w>",
    /// then merge adjacent pairs lowest rank first, as the reference does. The reference merges
    /// every occurrence of the best pair per pass (quadratic in the word's length); here a heap of
    /// (rank, position) merges one occurrence at a time, leftmost first. Both give the same
    /// symbols: a merge only creates pairs of higher rank than its own (a learned merge's parts
    /// exist before it), so no new pair can come before the remaining occurrences of the best one.
    func bpe(_ token: String) -> [String] {
        var symbols = token.utf8.map { String(ByteEncoder.symbol[Int($0)]) }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += "</w>"
        let n = symbols.count
        guard n > 1 else { return symbols }
        var next = Array(1...n), previous = Array(-1..<(n - 1))
        next[n - 1] = -1
        var alive = [Bool](repeating: true, count: n)
        func rank(_ i: Int) -> Int? {
            let j = next[i]
            return j < 0 ? nil : vocabulary.ranks[symbols[i] + " " + symbols[j]]
        }
        var heap = PairHeap()
        for i in 0..<(n - 1) { if let r = rank(i) { heap.push(rank: r, position: i) } }
        while let (r, i) = heap.pop() {
            guard alive[i], next[i] >= 0, rank(i) == r else { continue }  // stale: that pair changed
            let j = next[i]
            symbols[i] += symbols[j]
            alive[j] = false
            next[i] = next[j]
            if next[j] >= 0 { previous[next[j]] = i }
            if previous[i] >= 0, let left = rank(previous[i]) { heap.push(rank: left, position: previous[i]) }
            if let right = rank(i) { heap.push(rank: right, position: i) }
        }
        var out: [String] = []
        var i = 0
        while i >= 0 {
            out.append(symbols[i])
            i = next[i]
        }
        return out
    }
}

/// A binary min-heap of (rank, position), ordered by rank, then position.
struct PairHeap {
    private var items: [UInt64] = []

    mutating func push(rank: Int, position: Int) {
        items.append(UInt64(rank) << 32 | UInt64(position))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (Int, Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count, items[l] < items[smallest] { smallest = l }
                if r < items.count, items[r] < items[smallest] { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return (Int(top >> 32), Int(top & 0xFFFF_FFFF))
    }
}
