import Foundation

/// A search's words as the full-text index reads them (an FTS5 MATCH expression), built so that
/// nothing a user types is read as FTS5 syntax: every word and phrase is a quoted string.
///
/// - `"exact words"` in double quotes: a phrase the line must hold, in that order. With any
///   phrase, the line must hold every phrase and the other words are left to the pictures.
/// - Otherwise the words are alternatives, ranked by BM25 (a line with more of them, and rarer
///   ones, ranks higher), as a search engine's plain match query does. Common English function
///   words are left out then ("a", "the", ...): in nearly every line, they would make nearly
///   every line a hit. A query of nothing else keeps them.
/// - `word*` matches every word that begins with it.
/// - Words in more than 1% of the lines of a large archive are common terms, as Elasticsearch's
///   common terms query split them (its `cutoff_frequency` of 0.01): where the query has any
///   rarer word, only the rarer ones pick lines; a query of common terms alone needs all of them
///   in one line, and such lines come in index order rather than by BM25. Ranking a word that
///   is in tens of thousands of lines costs BM25 on each of them (tens of milliseconds at 1M
///   cues, BENCHMARKS.md speech), and orders them by little more than their length.
public struct TextQuery: Equatable {
    public var phrases: [String]
    public var words: [String]

    public init(phrases: [String], words: [String]) {
        self.phrases = phrases
        self.words = words
    }

    public init(_ text: String) {
        var phrases: [String] = [], words: [String] = []
        var inQuote = false
        var current = ""
        func flush() {
            let piece = current.trimmingCharacters(in: .whitespacesAndNewlines)
            current = ""
            guard !piece.isEmpty else { return }
            if inQuote { phrases.append(piece) } else { words += piece.split(whereSeparator: \.isWhitespace).map(String.init) }
        }
        // A control character (a NUL above all: FTS5 reads it as the end of the expression, "unterminated
        // string") is no part of a word: a space.
        for character in text.map({ $0.unicodeScalars.contains { $0.properties.generalCategory == .control } ? " " : $0 }) {
            if character == "\"" {
                flush()
                inQuote.toggle()
            } else {
                current.append(character)
            }
        }
        flush()  // an unclosed quote still makes a phrase of the rest
        self.phrases = phrases.filter(Self.hasWordCharacters)
        self.words = words.filter(Self.hasWordCharacters)
    }

    public var isEmpty: Bool { phrases.isEmpty && words.isEmpty }

    /// The MATCH expression; nil where there is nothing to look for.
    public var expression: String? { plan(isCommon: { _ in false })?.expression }

    /// The MATCH expression and whether its lines are ranked by BM25 (false: a query of common
    /// terms alone, in index order). `isCommon` says whether a word is in over 1% of the lines.
    func plan(isCommon: (String) throws -> Bool) rethrows -> (expression: String, ranked: Bool)? {
        if !phrases.isEmpty { return (phrases.map(Self.quoted).joined(separator: " AND "), true) }
        let content = words.filter { !Self.functionWords.contains($0.lowercased()) }
        let chosen = content.isEmpty ? words : content
        guard !chosen.isEmpty else { return nil }
        let rare = try chosen.filter { try !isCommon($0) }
        if rare.isEmpty { return (chosen.map(Self.term).joined(separator: " AND "), false) }
        return (rare.map(Self.term).joined(separator: " OR "), true)
    }

    static func term(_ word: String) -> String {
        word.hasSuffix("*") && word.count > 1 ? quoted(String(word.dropLast())) + "*" : quoted(word)
    }

    /// A word's tokens as FTS5's unicode61 tokenizer (diacritics removed) indexes them.
    static func tokens(_ word: String) -> [String] {
        word.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    static func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// FTS5's tokenizer keeps letters and digits only: a piece without any matches nothing.
    static func hasWordCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil }
    }

    static let functionWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
        "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "as",
    ]
}
