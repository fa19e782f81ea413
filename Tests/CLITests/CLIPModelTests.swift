import Foundation
import TestSupport
import XCTest

/// A CLIP checkpoint through the binary: it indexes and searches with the same commands as
/// X-CLIP, skips the rerank and says so, and `model info` names its family.
final class CLIPModelTests: XCTestCase {
    /// The clip-tiny fixture (transformers' CLIPModel layout, random weights) as a model directory.
    private func clipModel() throws -> URL {
        let dir = try temporaryDirectory(self).appendingPathComponent("clip")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let fixture = CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/clip-tiny")
        for name in ["model.safetensors", "config.json"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        try #"{"size": 64, "crop_size": 64, "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}"#
            .write(to: dir.appendingPathComponent("preprocessor_config.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            at: CLI.repository.appendingPathComponent("Models/xclip-demo/bpe_simple_vocab_16e6.txt.gz"),
            to: dir.appendingPathComponent("bpe_simple_vocab_16e6.txt.gz"))
        return dir
    }

    /// A save_pretrained folder has no preprocessor_config.json: the model's own image size (64
    /// here, not CLIP's 224) and CLIP's processor (BICUBIC, OpenAI's mean and std) are used.
    func testAFolderWithoutAPreprocessorFileUsesItsConfigsImageSize() throws {
        let dir = try temporaryDirectory(self)
        let model = try clipModel()
        try FileManager.default.removeItem(at: model.appendingPathComponent("preprocessor_config.json"))
        try makeClip(dir.appendingPathComponent("red.mp4").path, color: "red", seconds: 3)
        let info = try CLI.run(["model", "info", "--model", model.path, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let preprocessing = info.json.first?["preprocessing"] as? [String: Any]
        XCTAssertEqual(preprocessing?["resample"] as? String, "BICUBIC", info.stdout)
        XCTAssertEqual(preprocessing?["from_file"] as? Bool, false, info.stdout)
        XCTAssertEqual(preprocessing?["crop"] as? [Int], [64, 64], info.stdout)
        let indexed = try CLI.run(["index", dir.path, "--index", dir.appendingPathComponent("index").path, "--model", model.path, "--json"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let text = try CLI.run(["model", "info", "--model", model.path])
        XCTAssertTrue(text.stdout.contains("PIL BICUBIC"), text.stdout)
    }

    func testACLIPCheckpointIndexesAndSearchesWithoutRerank() throws {
        let dir = try temporaryDirectory(self)
        let model = try clipModel()
        for (name, color) in [("red.mp4", "red"), ("blue.mp4", "blue")] {
            try makeClip(dir.appendingPathComponent(name).path, color: color, seconds: 5)
        }
        let index = dir.appendingPathComponent("index").path
        let info = try CLI.run(["model", "info", "--model", model.path, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertEqual(info.json.first?["family"] as? String, "clip")
        XCTAssertEqual(info.json.first?["prompt_tokens"] as? Int, 0)
        XCTAssertTrue((info.json.first?["rerank"] as? String)?.hasPrefix("none") == true, info.stdout)

        let indexed = try CLI.run(["index", dir.path, "--index", index, "--model", model.path, "--json"])
        XCTAssertEqual(indexed.status, 0, indexed.stderr)
        let stats = try CLI.run(["stats", "--index", index, "--json"])
        XCTAssertEqual(stats.json.first?["videos"] as? Int, 2, stats.stdout)

        let search = try CLI.run(["search", "a red box", "--index", index, "--model", model.path])
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertTrue(search.stderr.contains("CLIP checkpoint: no video-specific prompt"), search.stderr)
        // With and without --no-rerank the scores are the same: the first stage is the answer.
        let json = try CLI.run(["search", "a red box", "--index", index, "--model", model.path, "--json", "-k", "10"])
        let plain = try CLI.run(["search", "a red box", "--index", index, "--model", model.path, "--json", "-k", "10", "--no-rerank"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let scores = json.json.compactMap { $0["score"] as? Double }
        XCTAssertFalse(scores.isEmpty, json.stdout)
        XCTAssertTrue(scores.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 }, "\(scores)")
        XCTAssertEqual(scores, plain.json.compactMap { $0["score"] as? Double })
        let verify = try CLI.run(["verify", "--index", index])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)

        // An index made with the CLIP model refuses the X-CLIP one, naming both.
        let other = try CLI.run(["search", "a red box", "--index", index, "--model", try tinyModel(self).path])
        XCTAssertEqual(other.status, 3, other.stderr)
    }
}

/// `--model ORG/NAME[@REVISION]`: a checkpoint already in the Hugging Face cache, laid out as
/// huggingface_hub lays it (blobs, refs, snapshots of links), is used without a download.
final class HubCacheModelTests: XCTestCase {
    func testACachedCheckpointIsFoundByItsRepositoryName() throws {
        let home = try temporaryDirectory(self).appendingPathComponent("hf")
        let repo = home.appendingPathComponent("hub/models--openai--clip-tiny")
        let commit = "0123456789abcdef0123456789abcdef01234567"
        let snapshot = repo.appendingPathComponent("snapshots/\(commit)")
        let fm = FileManager.default
        try fm.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try fm.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        try fm.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try (commit + "\n").write(to: repo.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        let fixture = CLI.repository.appendingPathComponent("Tests/XCLIPTests/Fixtures/clip-tiny")
        let files = [
            ("config.json", fixture.appendingPathComponent("config.json")),
            ("pytorch_model.bin", fixture.appendingPathComponent("pytorch_model.bin")),
            ("bpe_simple_vocab_16e6.txt.gz", CLI.repository.appendingPathComponent("Models/xclip-demo/bpe_simple_vocab_16e6.txt.gz")),
        ]
        for (i, (name, source)) in files.enumerated() {
            let blob = repo.appendingPathComponent("blobs/blob\(i)")
            try fm.copyItem(at: source, to: blob)
            try fm.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path, withDestinationPath: "../../blobs/blob\(i)")
        }
        let environment = ["HF_HOME": home.path, "HF_HUB_CACHE": ""]
        for name in ["openai/clip-tiny", "openai/clip-tiny@main", "openai/clip-tiny@\(commit)"] {
            let info = try CLI.run(["model", "info", "--model", name, "--json"], environment: environment)
            XCTAssertEqual(info.status, 0, "\(name): \(info.stderr)")
            XCTAssertEqual(info.json.first?["family"] as? String, "clip", name)
            XCTAssertEqual(info.json.first?["directory"] as? String, snapshot.path, name)
        }
        // Not cached: a clear error that names the repository, the revision and the cache.
        for name in ["openai/clip-tiny@v2", "openai/absent"] {
            let missing = try CLI.run(["model", "info", "--model", name], environment: environment)
            XCTAssertEqual(missing.status, 3, missing.stderr)
            XCTAssertTrue(missing.stderr.contains("not in the Hugging Face cache") && missing.stderr.contains(home.path), missing.stderr)
        }
    }
}
