import Foundation

@testable import Ingest
@testable import VideoIndex
@testable import XCLIP

/// Everything vidsearch parses from a file or from the user, behind one entry point: the first
/// byte picks the parser, the rest is its input. Each parser must return or throw, never trap,
/// hang or read out of bounds (the fuzz build runs under AddressSanitizer). Used by the libFuzzer
/// binary (FuzzParsers, scripts/fuzz) and by CorpusTests, which replays the saved inputs.
public enum Parsers {
    public static let names = [
        "safetensors", "config.json", "preprocessor_config.json", "tokenizer text",
        "prompt-token codec", "segment record", "video record", "vocab.json + merges.txt",
        "pytorch_model.bin", "subtitle text (SRT, WebVTT, any encoding)", "Whisper JSON",
        "subtitle markup and times", "text query",
    ]

    static let tokenizer: CLIPTokenizer? = {
        let vocab = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Models/xclip-demo")
        return try? CLIPTokenizer(directory: vocab)
    }()

    public static func run(_ data: [UInt8]) {
        guard let selector = data.first else { return }
        let input = Array(data.dropFirst())
        switch Int(selector) % names.count {
        case 0:
            withFile(input) { path in
                guard let file = try? SafeTensorsFile(path: path) else { return }
                for name in file.entries.keys {
                    _ = try? file.floatTensor(name)
                    _ = try? file.integers(name)
                }
            }
        case 1: if let json = object(input) { _ = try? XCLIPConfiguration(json: json) }
        case 2: if let json = object(input) { _ = try? PreprocessorConfiguration(json: json) }
        case 3: _ = tokenizer?.encode(String(decoding: input, as: UTF8.self), specialTokens: false)
        case 4:
            let tokens = Int(input.first ?? 1) % 8 + 1, width = 4
            var out = [Float](repeating: 0, count: tokens * width)
            _ = out.withUnsafeMutableBufferPointer {
                PromptTokenCodec.decode(Array(input.dropFirst()), into: $0.baseAddress!, tokens: tokens, width: width)
            }
        case 5: _ = SegmentRecord(id: 1, encoded: input)
        case 6: _ = try? JSONDecoder().decode(VideoRecord.self, from: Data(input))
        case 7:
            let split = input.firstIndex(of: 0) ?? input.count
            withFile(Array(input[..<split])) { vocab in
                withFile(Array(input[min(split + 1, input.count)...])) { merges in
                    _ = try? BPEVocabulary(vocabJSON: URL(fileURLWithPath: vocab), merges: URL(fileURLWithPath: merges))
                }
            }
        case 8:
            withFile(input) { path in
                guard let checkpoint = try? TorchCheckpoint(path: path) else { return }
                for name in checkpoint.names { _ = try? checkpoint.floatTensor(name) }
            }
        case 9:
            let (text, _, _) = SubtitleText.decode(input)
            _ = SRTParser.parse(text)
            _ = WebVTTParser.parse(text)
        case 10: _ = WhisperTranscript.parse(input)
        case 11:
            let text = String(decoding: input, as: UTF8.self)
            _ = SubtitleMarkup.plain(text)
            _ = SubtitleTime.range(text)
            _ = SubtitleStreamReader.dialogueText(text)
        default:
            let query = TextQuery(String(decoding: input, as: UTF8.self))
            _ = query.expression
            _ = TextQuery.tokens(String(decoding: input, as: UTF8.self))
        }
    }

    private static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    private static func withFile(_ bytes: [UInt8], _ body: (String) -> Void) {
        let path = NSTemporaryDirectory() + "vidsearch-fuzz-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { unlink(path) }
        body(path)
    }
}
