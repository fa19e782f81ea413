import Foundation
import XCTest

@testable import XCLIP

/// The tokenizer against the original CLIP SimpleTokenizer's ids.
final class TokenizerTests: XCTestCase {
    /// The vocabulary the bundled model ships (the original bpe_simple_vocab_16e6.txt.gz).
    static let modelDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/xclip-demo")
    static let tokenizer = try! CLIPTokenizer(directory: modelDirectory)

    func testReferenceCases() throws {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/clip-bpe-reference.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 40)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let text = object["text"] as! String
            let ids = object["ids"] as! [Int]
            XCTAssertEqual(Self.tokenizer.tokenize(text), ids, "\(text)")
        }
    }

    func testSpecCases() {
        let t = Self.tokenizer
        XCTAssertEqual(t.encode("playing sports"), [49406, 1629, 2054, 49407])
        XCTAssertEqual(t.tokenize("a photo of a cat"), [320, 1125, 539, 320, 2368])
        XCTAssertEqual(t.tokenize("A dog running on the beach!"), [320, 1929, 2761, 525, 518, 2117, 256])
        XCTAssertEqual(t.tokenize("It's 2024, isn't it?"), [585, 568, 273, 271, 273, 275, 267, 2923, 713, 585, 286])
        XCTAssertEqual(t.tokenize("café  naïve   résumé"), [15304, 1097, 35689, 563, 29106, 7054, 4166])
    }

    func testContextLimitKeepsTheFirstTokensAndEnds() {
        let long = Array(repeating: "dog", count: 100).joined(separator: " ")
        let ids = Self.tokenizer.encode(long)
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, 49406)
        XCTAssertEqual(ids.last, 49407)
        XCTAssertEqual(Set(ids.dropFirst().dropLast()), [Self.tokenizer.tokenize("dog")[0]])
    }

    func testAnyInputGivesIdsWithoutCrashing() {
        let t = Self.tokenizer
        let invalid = String(decoding: [0x66, 0xFF, 0xFE, 0x6F, 0xC3], as: UTF8.self)  // lenient decoding: U+FFFD
        for text in ["", "   ", "\u{0}\u{1}\u{7F}", invalid, "👩‍👩‍👧‍👦🏳️‍🌈", "中文字符测试", "e\u{301}\u{301}\u{301}", "<|endoftext|>"] {
            let ids = t.encode(text)
            XCTAssertEqual(ids.first, 49406)
            XCTAssertEqual(ids.last, 49407)
            XCTAssertTrue(ids.allSatisfy { (0..<49408).contains($0) })
        }
        XCTAssertEqual(t.tokenize(""), [])
        XCTAssertEqual(t.tokenize(" \t\n "), [])
    }

    func testCleaning() {
        XCTAssertEqual(TextCleaner.clean("  Tom &amp;amp; JERRY\u{3000}ﬁsh “quoted” ＡＢＣ\r\nnext "), "tom & jerry fish \"quoted\" abc next")
        XCTAssertEqual(TextCleaner.clean("&eacute;t&eacute; &#x41;&#66; &NTILDE;"), "été ab ñ")
    }

    func testHuggingFaceVocabularyFilesGiveTheSameIds() throws {
        // Derive vocab.json + merges.txt from the original file, as the hub checkpoints ship them.
        let original = Self.tokenizer
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try original.vocabulary.write(vocabJSON: dir.appendingPathComponent("vocab.json"), merges: dir.appendingPathComponent("merges.txt"))
        let hf = try CLIPTokenizer(directory: dir)
        for text in ["a dog catching a frisbee in the park", "naïve résumé façade", "日本語のテキスト", "🔥🔥🔥 x-clip"] {
            XCTAssertEqual(hf.tokenize(text), original.tokenize(text), text)
        }
    }
}

/// Queries cannot smuggle special tokens, and a huge query costs what its first tokens cost.
final class TokenizerBoundsTests: XCTestCase {
    let t = TokenizerTests.tokenizer

    func testSpecialTokensInAnySpellingAreDroppedWhenAsked() {
        let plain = t.encode("a red circle moving left", specialTokens: false)
        for spelling in ["<|endoftext|>", "<|ENDOFTEXT|>", "&lt;|endoftext|&gt;", "＜｜endoftext｜＞", "<|startoftext|>", "<|StartOfText|>"] {
            let ids = t.encode("a red circle \(spelling) moving left", specialTokens: false)
            XCTAssertEqual(ids, plain, spelling)
            XCTAssertFalse(ids.dropFirst().dropLast().contains(49407), spelling)
        }
        // The reference tokenizer's behaviour stays the default.
        XCTAssertTrue(t.tokenize("a <|endoftext|> b").contains(49407))
    }

    /// The heap BPE against the reference's pass-per-merge loop, on random words and on the
    /// repetitive words where merges overlap.
    func testHeapBPEEqualsTheReferenceLoop() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzéß日本")
        var words = ["aaaaaaaaaaaaaaaaaaaaaaaaa", "abababababababab", "mississippi", "lllllllllllllllllllllll", "a", "zz"]
        for _ in 0..<300 {
            words.append(String((0..<Int.random(in: 1...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for word in words { XCTAssertEqual(t.bpe(word), referenceBPE(word), word) }
    }

    /// A word far longer than the context: the first 75 ids equal those of the whole word.
    func testLongWordKeepsTheWholeWordsFirstTokens() {
        var rng = SystemRandomNumberGenerator()
        for length in [3000, 12000] {
            let word = String((0..<length).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement(using: &rng)! })
            let full = t.tokenize(word).prefix(75)
            XCTAssertEqual(Array(t.encode(word + " and more").dropFirst().dropLast()), Array(full), "length \(length)")
        }
        let repeated = String(repeating: "a", count: 50_000)
        XCTAssertEqual(t.encode(repeated).count, 77)
        XCTAssertEqual(Array(t.encode(repeated).dropFirst().dropLast()), Array(t.tokenize(String(repeating: "a", count: 5000)).prefix(75)))
    }

    /// Long texts are tokenized from their head when it holds enough tokens, and whole otherwise.
    func testLongTextsEqualTheWholeTextsFirstTokens() {
        let words = (0..<3000).map { ["the", "dog", "caught", "a", "frisbee", "&amp;", "ran", "café", "ﬁne", "2024!"][$0 % 10] }
        let text = words.joined(separator: " ")
        XCTAssertGreaterThan(text.unicodeScalars.count, 8192)
        XCTAssertEqual(Array(t.encode(text).dropFirst().dropLast()), Array(t.tokenize(text).prefix(75)))
        let sparse = "a" + String(repeating: " ", count: 20_000) + "b"
        XCTAssertEqual(t.encode(sparse), t.encode("a b"), "mostly space: the whole text is read")
    }

    /// SimpleTokenizer.bpe as written: each pass merges every occurrence of the best pair.
    private func referenceBPE(_ token: String) -> [String] {
        var symbols = token.utf8.map { String(ByteEncoder.symbol[Int($0)]) }
        if !symbols.isEmpty { symbols[symbols.count - 1] += "</w>" }
        while symbols.count > 1 {
            var best: (Int, String, String)?
            for i in 0..<(symbols.count - 1) {
                if let r = t.vocabulary.ranks[symbols[i] + " " + symbols[i + 1]], r < (best?.0 ?? .max) { best = (r, symbols[i], symbols[i + 1]) }
            }
            guard let (_, left, right) = best else { break }
            var merged: [String] = []
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
