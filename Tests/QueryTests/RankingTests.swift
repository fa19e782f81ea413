import Foundation
import Query
import Tensor
import VideoIndex
import XCLIP
import XCTest

/// An index whose segments are the xclip-tiny fixture's videos ranks them, for each fixture
/// text, in the order of the reference's logits_per_text.
final class RankingTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("XCLIPTests/Fixtures/xclip-tiny")
    static let vocabulary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models/xclip-demo")

    /// The fixture model, its reference dump, its videos encoded, and an empty index for them
    /// (removed when `test` ends).
    static func fixtureIndex(_ test: XCTestCase) throws -> (XCLIPModel, SafeTensorsFile, VideoEncoding, IndexStore) {
        let model = try XCLIPModel(directory: fixture)
        let io = try SafeTensorsFile(path: fixture.appendingPathComponent("io.safetensors").path)
        let encoded = try model.encodeVideos(try io.floatTensor("input.pixel_values"))
        let identity = try ModelIdentity(directory: fixture, dimension: model.embeddingSize, promptTokens: model.promptTokenCount)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rank-\(UUID().uuidString)")
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return (model, io, encoded, try IndexStore(writingAt: dir, model: identity))
    }

    func fixtureIndex() throws -> (XCLIPModel, SafeTensorsFile, VideoEncoding, IndexStore) { try Self.fixtureIndex(self) }

    // The reference's precision, in whichever library this CPU's f32 default uses.
    override func setUp() { ProductEngine.choose(precision: "f32", source: "test") }

    func testRerankOrderMatchesReferenceLogits() throws {
        let (model, io, encoded, store) = try fixtureIndex()
        let p = model.embeddingSize, n = model.promptTokenCount
        for v in 0..<2 {
            let segment = EncodedSegment(
                segment: SegmentRecord(start: 0, end: 4, frameTimes: [0.5, 1.5, 2.5, 3.5]),
                embedding: Array(UnsafeBufferPointer(start: encoded.embeddings.row(v), count: p)),
                promptTokens: Array(UnsafeBufferPointer(start: encoded.promptTokens.data + v * n * p, count: n * p)),
                thumbnail: [])
            try store.put(video: VideoRecord(path: "/fixture/video\(v).mp4", fingerprint: "f\(v)", size: 1, mtime: 0), segments: [segment])
        }
        let engine = try SearchEngine(model: model, tokenizer: try CLIPTokenizer(directory: Self.vocabulary), store: store)
        let ids = try io.integers("input.input_ids")
        let logits = try io.floatTensor("out.logits_per_text")
        let length = ids.shape[1]
        for k in 0..<ids.shape[0] {
            let row = Array(ids.values[(k * length)..<((k + 1) * length)])
            let tokens = Array(row.prefix(through: row.firstIndex(of: 49407)!))
            let results = try engine.search(tokens: tokens, options: SearchOptions(k: 2))
            let expected = (0..<2).sorted { logits[k * 2 + $0] > logits[k * 2 + $1] }.map { "/fixture/video\($0).mp4" }
            XCTAssertEqual(results.map(\.path), expected, "text \(k)")
            // The reranked score is the reference's logit over the logit scale (up to the 8-bit token storage).
            for r in results {
                let v = Int(r.path.dropFirst("/fixture/video".count).prefix(1))!
                XCTAssertEqual(r.score * model.logitScale, logits[k * 2 + v], accuracy: 0.02 * abs(logits[k * 2 + v]) + 0.02)
            }
            // Same index and query: same results in the same order.
            XCTAssertEqual(try engine.search(tokens: tokens, options: SearchOptions(k: 2)), results)
        }
    }

    /// A segment stored without prompt tokens is scored by the plain cosine with the text; one
    /// with tokens by the prompted cosine; one LMDB no longer has by -inf.
    func testRerankFallsBackWithoutPromptTokens() throws {
        let (model, io, encoded, store) = try fixtureIndex()
        let p = model.embeddingSize, n = model.promptTokenCount
        let embedding = Array(UnsafeBufferPointer(start: encoded.embeddings.row(0), count: p))
        let tokens = Array(UnsafeBufferPointer(start: encoded.promptTokens.data, count: n * p))
        let stored = try store.put(
            video: VideoRecord(path: "/v.mp4", fingerprint: "f", size: 1, mtime: 0),
            segments: [
                EncodedSegment(segment: SegmentRecord(start: 0, end: 4, frameTimes: []), embedding: embedding, promptTokens: tokens, thumbnail: []),
                EncodedSegment(segment: SegmentRecord(start: 4, end: 8, frameTimes: []), embedding: embedding, promptTokens: [], thumbnail: []),
            ])
        let text = try model.encodeText(Array(try io.integers("input.input_ids").values.prefix(through: 0)) + [49407])
        let scores = try PromptReranker(model: model).scores(text: text, segments: stored.segmentIds + [999], store: store)
        XCTAssertEqual(scores[1], XCLIPModel.cosine(text, embedding), accuracy: 1e-6)
        XCTAssertNotEqual(scores[0], scores[1], "the prompted score differs from the plain one")
        XCTAssertEqual(scores[2], -.infinity)
    }

    func testEmptyAndUnreadableQueriesAreNamedErrors() throws {
        let model = try XCLIPModel(directory: Self.fixture)
        let identity = try ModelIdentity(directory: Self.fixture, dimension: model.embeddingSize, promptTokens: model.promptTokenCount)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rank-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore(writingAt: dir, model: identity)
        let engine = try SearchEngine(model: model, tokenizer: try CLIPTokenizer(directory: Self.vocabulary), store: store)
        XCTAssertThrowsError(try engine.search("   ")) { XCTAssertEqual($0 as? QueryError, .emptyQuery) }
        XCTAssertThrowsError(try engine.search("\u{0}\u{1}")) { XCTAssertEqual($0 as? QueryError, .noTokens("\u{0}\u{1}")) }
        XCTAssertEqual(try engine.search("<|endoftext|> a dog"), [], "an empty index answers with no results")
    }
}
