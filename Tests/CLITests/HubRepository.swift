import Foundation
import TestSupport
import XCTest

/// A checkpoint laid in a Hugging Face cache as huggingface_hub writes it: each file a blob named
/// by its etag (the sha256 of a Git LFS file, the Git blob id of any other), `refs/main` holding
/// the commit, and `snapshots/COMMIT/NAME` a relative link to its blob. The files are a fixture
/// of Tests/CLITests/Fixtures/hub (Tools/hub_reference.py): the repository's own config,
/// preprocessor and tokenizer files, and model.safetensors written from weights.json.
struct HubRepository {
    static let fixtures = CLI.repository.appendingPathComponent("Tests/CLITests/Fixtures/hub")

    let id: String
    let snapshot: URL
    let expected: Expected

    struct Expected: Decodable {
        struct Segment: Decodable {
            let path: String
            let start: Double
            let embedding: [Double]
            let score: Double
        }
        let query: String
        let segments: [Segment]
    }

    /// Lays `id` (ORG/NAME) under `cache` (the HF_HUB_CACHE folder).
    init(_ id: String, cache: URL) throws {
        self.id = id
        let fixture = Self.fixtures.appendingPathComponent(id.replacingOccurrences(of: "/", with: "--"))
        expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixture.appendingPathComponent("expected.json")))
        let fm = FileManager.default
        let staging = cache.appendingPathComponent(".staging-\(UUID().uuidString)")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }

        var files: [String: URL] = [:]
        for name in ["config.json", "preprocessor_config.json"] { files[name] = fixture.appendingPathComponent(name) }
        // X-CLIP's repos carry the slow tokenizer's saved files; CLIP's the hub's set with tokenizer.json.
        let tokenizers = Self.fixtures.appendingPathComponent("tokenizers/" + (id.hasPrefix("microsoft/") ? "saved" : "openai"))
        for name in try fm.contentsOfDirectory(atPath: tokenizers.path) { files[name] = tokenizers.appendingPathComponent(name) }
        let manifest = try JSONDecoder().decode(
            SyntheticWeights.Manifest.self, from: Data(contentsOf: fixture.appendingPathComponent("weights.json")))
        let weights = staging.appendingPathComponent("model.safetensors")
        try SyntheticWeights.write(manifest, to: weights)
        files["model.safetensors"] = weights

        let repo = cache.appendingPathComponent("models--" + id.replacingOccurrences(of: "/", with: "--"))
        let commit = try Self.output(["git", "hash-object", "--stdin"], input: Data(id.utf8))
        snapshot = repo.appendingPathComponent("snapshots/\(commit)")
        try fm.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try fm.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        try fm.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: repo.appendingPathComponent("refs/main"))
        for (name, source) in files {
            let lfs = name.hasSuffix(".safetensors") || name.hasSuffix(".bin")
            let etag =
                lfs
                ? String(try Self.output(["sha256sum", source.path]).prefix(64))
                : try Self.output(["git", "hash-object", source.path])
            let blob = repo.appendingPathComponent("blobs/\(etag)")
            if !fm.fileExists(atPath: blob.path) {
                if source.path.hasPrefix(staging.path) { try fm.moveItem(at: source, to: blob) } else { try fm.copyItem(at: source, to: blob) }
            }
            try fm.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path, withDestinationPath: "../../blobs/\(etag)")
        }
    }

    /// The trimmed standard output of a tool (git, sha256sum: the peers huggingface_hub agrees with).
    private static func output(_ arguments: [String], input: Data? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        if input != nil { process.standardInput = inPipe }
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
