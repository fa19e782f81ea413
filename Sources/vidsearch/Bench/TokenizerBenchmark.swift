import Foundation
import XCLIP

/// Tokens per second on ordinary English queries, with the tokenizer's word cache warm.
enum TokenizerBenchmark {
    static let queries = [
        "a man opening a car door", "a dog catching a frisbee in the park", "two people shaking hands at a meeting",
        "someone pouring coffee into a white cup", "children playing football on a sunny afternoon",
        "a red circle moving to the left", "the cat jumps onto the kitchen table", "a woman riding a bicycle down the street",
    ]

    static func run(report: Report) throws {
        let tokenizer = try CLIPTokenizer(directory: Defaults.modelDirectory(nil))
        let tokens = queries.reduce(0) { $0 + tokenizer.tokenize($1).count }
        let rounds = 500
        let t = Measure.time(repeats: 5) {
            for _ in 0..<rounds { for q in queries { _ = tokenizer.encode(q) } }
        }
        report.add("tokenizer.tokens_per_second", Double(tokens * rounds) / t.median, "tokens/s", timing: t,
                   ratio: Double(tokens * rounds) / t.median / 200_000, ratioTo: "target 200k/s", note: "one thread, cache warm")
    }
}
