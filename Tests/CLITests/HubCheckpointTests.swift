import Foundation
import TestSupport
import XCTest

/// The README's three commands (`model pull`, `index`, `search`) by repository name, offline,
/// against every checkpoint of its table laid in a Hugging Face cache as the hub ships it (its
/// config, preprocessor and tokenizer files; weights of the real shapes, with fewer layers except
/// for openai/clip-vit-base-patch32). A real photo's and a real video segment's vectors must
/// match transformers' (processor and model) within cosine 0.99999 in f32 and 0.999 in bf16, and
/// each search score the reference cosine (Tools/hub_reference.py made the references).
final class HubCheckpointTests: XCTestCase {
    static let media = CLI.repository.appendingPathComponent("Tests/CLITests/Fixtures/media")

    func testOpenAICLIPBase32() throws { try check("openai/clip-vit-base-patch32", resample: "BICUBIC") }
    func testOpenAICLIPBase16() throws { try check("openai/clip-vit-base-patch16", resample: "BICUBIC") }
    func testOpenAICLIPLarge14() throws { try check("openai/clip-vit-large-patch14", resample: "BICUBIC") }
    func testOpenAICLIPLarge14At336() throws { try check("openai/clip-vit-large-patch14-336", resample: "BICUBIC") }
    func testLAIONCLIPBase32() throws { try check("laion/CLIP-ViT-B-32-laion2B-s34B-b79K", resample: "BICUBIC") }
    func testXCLIPBase32() throws { try check("microsoft/xclip-base-patch32", resample: "BILINEAR") }
    func testXCLIPBase16ZeroShot() throws { try check("microsoft/xclip-base-patch16-zero-shot", resample: "BILINEAR") }

    private func check(_ id: String, resample: String) throws {
        let dir = try temporaryDirectory(self)
        let cache = dir.appendingPathComponent("hub")
        let repo = try HubRepository(id, cache: cache)
        // Nothing reaches a network: the cache alone, as for a user offline.
        let env = ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"]

        let pull = try CLI.run(["model", "pull", id], environment: env)
        XCTAssertEqual(pull.status, 0, "model pull \(id): \(pull.stderr)")
        let info = try CLI.run(["model", "info", "--model", id, "--json"], environment: env)
        XCTAssertEqual(info.status, 0, info.stderr)
        let preprocessing = info.json.first?["preprocessing"] as? [String: Any]
        XCTAssertEqual(preprocessing?["resample"] as? String, resample, info.stdout)
        XCTAssertEqual(preprocessing?["from_file"] as? Bool, true, info.stdout)
        let cpuBF16 = ((info.json.first?["products"] as? [String: Any])?["cpu_bf16"] as? Bool) ?? false

        for (precision, bound) in [("f32", 0.99999), ("bf16", 0.999)] {
            if precision == "bf16" && !cpuBF16 { continue }  // no bf16 products on this CPU (said in the log below)
            try compare(repo, precision: precision, bound: bound, env: env, dir: dir)
        }
        if !cpuBF16 { print("HubCheckpointTests: \(id): this CPU has no bf16 products; bf16 not checked here") }
    }

    private func compare(_ repo: HubRepository, precision: String, bound: Double, env: [String: String], dir: URL) throws {
        let index = dir.appendingPathComponent("index-\(precision)").path
        let photo = Self.media.appendingPathComponent("chelsea.png").path
        let video = Self.media.appendingPathComponent("rocket-zoom.mp4").path
        let indexed = try CLI.run(
            ["index", photo, video, "--index", index, "--model", repo.id, "--precision", precision, "--json"], environment: env)
        XCTAssertEqual(indexed.status, 0, "index with \(repo.id): \(indexed.stderr)")

        let exported = try CLI.run(["export", "--vectors", "--index", index], environment: env)
        XCTAssertEqual(exported.status, 0, exported.stderr)
        var seen = 0
        for row in exported.json {
            let name = URL(fileURLWithPath: row["path"] as? String ?? "").lastPathComponent
            let start = row["start"] as? Double ?? -1
            guard let reference = repo.expected.segments.first(where: { $0.path == name && abs($0.start - start) < 1e-6 }) else {
                XCTFail("\(repo.id): segment \(name) at \(start) has no reference")
                continue
            }
            let ours = (row["embedding"] as? [Double]) ?? []
            let c = cosine(ours, reference.embedding)
            XCTAssertTrue(c >= bound, "\(repo.id) \(precision): \(name) at \(start): cosine \(c) to transformers, under \(bound)")
            seen += 1
        }
        XCTAssertEqual(seen, repo.expected.segments.count, "\(repo.id): segments \(exported.stdout)")

        // The score of each hit is the reference's cosine (X-CLIP: of the video-prompted text).
        let search = try CLI.run(
            ["search", repo.expected.query, "--index", index, "--model", repo.id, "--precision", precision, "--json", "-k", "10"], environment: env)
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertEqual(search.json.count, repo.expected.segments.count, search.stdout)
        let tolerance = precision == "f32" ? 1e-4 : 5e-3
        for hit in search.json {
            let name = URL(fileURLWithPath: hit["path"] as? String ?? "").lastPathComponent
            let start = hit["start"] as? Double ?? -1
            let score = hit["score"] as? Double ?? .nan
            guard let reference = repo.expected.segments.first(where: { $0.path == name && abs($0.start - start) < 1e-6 }) else {
                XCTFail("\(repo.id): hit \(name) at \(start) has no reference")
                continue
            }
            XCTAssertTrue(
                abs(score - reference.score) <= tolerance,
                "\(repo.id) \(precision): \(name) scored \(score), transformers \(reference.score)")
        }
    }

    /// Cosine similarity; NaN (which fails every bound) for empty, unequal or non-finite input.
    private func cosine(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, !a.isEmpty, (a + b).allSatisfy(\.isFinite) else { return .nan }
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}
