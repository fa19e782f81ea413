import CommandSupport
import Foundation
import XCLIP

/// Tokens per second on ordinary English queries, with the tokenizer's word cache warm.
public enum TokenizerBenchmark {
    static let queries = [
        "a man opening a car door", "a dog catching a frisbee in the park", "two people shaking hands at a meeting",
        "someone pouring coffee into a white cup", "children playing football on a sunny afternoon",
        "a red circle moving to the left", "the cat jumps onto the kitchen table", "a woman riding a bicycle down the street",
    ]

    public static func run(report: Report) throws {
        let tokenizer = try CLIPTokenizer(directory: Defaults.modelDirectory(nil))
        let tokens = queries.reduce(0) { $0 + tokenizer.tokenize($1).count }
        let rounds = 500
        let t = Measure.time(repeats: 5) {
            for _ in 0..<rounds { for q in queries { _ = tokenizer.encode(q) } }
        }
        report.add(
            "tokenizer.tokens_per_second", Double(tokens * rounds) / t.median, "tokens/s", timing: t,
            ratio: Double(tokens * rounds) / t.median / 200_000, ratioTo: "target 200k/s", note: "one thread, cache warm")

        // Hostile queries: 100 KB of text. Only what survives the 77-token context is tokenized;
        // a fresh tokenizer each round, so no word cache helps.
        var rng = SystemRandomNumberGenerator()
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let word = String((0..<100_000).map { _ in letters.randomElement(using: &rng)! })
        let words = (0..<20_000).map { _ in String((0..<4).map { _ in letters.randomElement(using: &rng)! }) }.joined(separator: " ")
        for (name, text, what) in [
            ("one_100KB_word", word, "one 100 KB word of random letters"),
            ("100KB_of_words", String(words.prefix(100_000)), "100 KB of random 4-letter words"),
        ] {
            let vocabulary = tokenizer.vocabulary
            let h = Measure.time(repeats: 9) { _ = CLIPTokenizer(vocabulary: vocabulary).encode(text) }
            report.add(
                "tokenizer.\(name)", h.median * 1e3, "ms", timing: h, ratio: 10 / (h.median * 1e3), ratioTo: "10 ms",
                note: "\(what), cold word cache")
        }
    }
}
