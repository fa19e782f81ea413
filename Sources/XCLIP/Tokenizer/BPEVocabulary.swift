import Foundation

/// The CLIP BPE vocabulary: merge ranks and token ids, from either the original
/// bpe_simple_vocab_16e6.txt.gz or a Hugging Face checkpoint's vocab.json + merges.txt.
public struct BPEVocabulary {
    /// "left right" -> rank (lower merges first).
    let ranks: [String: Int]
    /// token -> id.
    let ids: [String: Int]

    public static let startOfText = 49406
    public static let endOfText = 49407
    static let mergeCount = 49152 - 256 - 2
    /// Bytes in the longest token of CLIP's vocabulary (32, "</w>" not counted): a piece of n
    /// bytes yields at least n / 32 tokens.
    static let longestToken = 32

    /// Finds the vocabulary in a checkpoint directory: vocab.json + merges.txt, else the .gz.
    public init(directory: URL) throws {
        let vocab = directory.appendingPathComponent("vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        let gz = directory.appendingPathComponent("bpe_simple_vocab_16e6.txt.gz")
        let fm = FileManager.default
        if fm.fileExists(atPath: vocab.path) || fm.fileExists(atPath: merges.path) {
            try self.init(vocabJSON: vocab, merges: merges)
        } else if fm.fileExists(atPath: gz.path) {
            try self.init(gzippedMerges: gz)
        } else {
            throw ModelError.missingFile(path: directory.appendingPathComponent("vocab.json + merges.txt (or bpe_simple_vocab_16e6.txt.gz)").path)
        }
    }

    /// The original file: a header line, then merges; the vocabulary is derived from them.
    public init(gzippedMerges url: URL) throws {
        guard let compressed = FileManager.default.contents(atPath: url.path) else { throw ModelError.missingFile(path: url.path) }
        let text = String(decoding: try Gzip.decompress(compressed, path: url.path), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix(Self.mergeCount)
        guard lines.count == Self.mergeCount else {
            throw ModelError.unreadableFile(path: url.path, reason: "\(lines.count) merges, expected \(Self.mergeCount)")
        }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(49408)
        var next = 0
        for b in ByteEncoder.order {
            ids[String(ByteEncoder.symbol[Int(b)])] = next
            next += 1
        }
        for b in ByteEncoder.order {
            ids[String(ByteEncoder.symbol[Int(b)]) + "</w>"] = next
            next += 1
        }
        var ranks: [String: Int] = [:]
        ranks.reserveCapacity(lines.count)
        for (rank, line) in lines.enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { throw ModelError.unreadableFile(path: url.path, reason: "merge line \(rank + 2) is not two symbols") }
            ranks[String(line)] = rank
            ids[String(parts[0]) + String(parts[1])] = next
            next += 1
        }
        ids["<|startoftext|>"] = Self.startOfText
        ids["<|endoftext|>"] = Self.endOfText
        self.ranks = ranks
        self.ids = ids
    }

    /// Hugging Face files: vocab.json (token -> id) and merges.txt ("#version" header, then merges).
    public init(vocabJSON: URL, merges: URL) throws {
        guard let vocabData = FileManager.default.contents(atPath: vocabJSON.path) else { throw ModelError.missingFile(path: vocabJSON.path) }
        guard let mergeData = FileManager.default.contents(atPath: merges.path) else { throw ModelError.missingFile(path: merges.path) }
        guard let vocab = (try? JSONSerialization.jsonObject(with: vocabData)) as? [String: Int] else {
            throw ModelError.unreadableFile(path: vocabJSON.path, reason: "not a JSON object of token ids")
        }
        var ranks: [String: Int] = [:]
        var rank = 0
        for line in String(decoding: mergeData, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("#version") { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard trimmed.split(separator: " ").count == 2 else {
                throw ModelError.unreadableFile(path: merges.path, reason: "merge \"\(trimmed)\" is not two symbols")
            }
            ranks[trimmed] = rank
            rank += 1
        }
        self.ranks = ranks
        self.ids = vocab
    }

    /// Writes the Hugging Face form of this vocabulary.
    public func write(vocabJSON: URL, merges: URL) throws {
        let json = try JSONSerialization.data(withJSONObject: ids, options: [.sortedKeys])
        try json.write(to: vocabJSON)
        let lines = ranks.sorted { $0.value < $1.value }.map(\.key)
        try (["#version: 0.2"] + lines).joined(separator: "\n").appending("\n").write(to: merges, atomically: true, encoding: .utf8)
    }
}
