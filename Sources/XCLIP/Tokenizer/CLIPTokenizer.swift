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
    public func tokenize(_ text: String) -> [Int] {
        var ids: [Int] = []
        for piece in PreTokenizer.split(TextCleaner.clean(text)) {
            ids += word(piece)
        }
        return ids
    }

    /// The model's input: [start] + tokens + [end], at most `contextLength` long (a longer
    /// text keeps its first tokens and still ends with the end token).
    public func encode(_ text: String) -> [Int] {
        let ids = tokenize(text).prefix(contextLength - 2)
        return [BPEVocabulary.startOfText] + ids + [BPEVocabulary.endOfText]
    }

    private func word(_ piece: Substring.UnicodeScalarView) -> [Int] {
        let text = String(piece)
        let key = Array(text.utf8)
        lock.lock()
        if let hit = cache[key] { lock.unlock(); return hit }
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
    /// then repeatedly merge every occurrence of the lowest-ranked adjacent pair.
    func bpe(_ token: String) -> [String] {
        var symbols = token.utf8.map { String(ByteEncoder.symbol[Int($0)]) }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += "</w>"
        while symbols.count > 1 {
            var best: (rank: Int, left: String, right: String)?
            for i in 0..<(symbols.count - 1) {
                if let rank = vocabulary.ranks[symbols[i] + " " + symbols[i + 1]], rank < (best?.rank ?? .max) {
                    best = (rank, symbols[i], symbols[i + 1])
                }
            }
            guard let (_, left, right) = best else { break }
            var merged: [String] = []
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count, symbols[i] == left, symbols[i + 1] == right {
                    merged.append(left + right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols
    }
}
