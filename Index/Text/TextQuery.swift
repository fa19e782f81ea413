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
        for character in text {
            if character == "\"" { flush(); inQuote.toggle() } else { current.append(character) }
        }
        flush()  // an unclosed quote still makes a phrase of the rest
        self.phrases = phrases.filter(Self.hasWordCharacters)
        self.words = words.filter(Self.hasWordCharacters)
    }

    public var isEmpty: Bool { phrases.isEmpty && words.isEmpty }

    /// The MATCH expression; nil where there is nothing to look for.
    public var expression: String? {
        if !phrases.isEmpty { return phrases.map(Self.quoted).joined(separator: " AND ") }
        let content = words.filter { !Self.functionWords.contains($0.lowercased()) }
        let chosen = content.isEmpty ? words : content
        guard !chosen.isEmpty else { return nil }
        return chosen.map { word in
            word.hasSuffix("*") && word.count > 1 ? Self.quoted(String(word.dropLast())) + "*" : Self.quoted(word)
        }.joined(separator: " OR ")
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
