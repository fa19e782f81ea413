import Foundation
import TestSupport
import XCTest

/// `--precision` picks oneDNN for the model's products and says so; the f32 path keeps the
/// reference's 1e-4; a wrong value is a usage error.
final class PrecisionTests: XCTestCase {
    private let model = CLI.repository.appendingPathComponent("Models/xclip-demo").path

    func testPrecisionIsChosenReportedAndKeepsTheReference() throws {
        // The default follows the CPU: bf16 where it has bf16 instructions, oneDNN f32 on other
        // AVX-512 CPUs, OpenBLAS below.
        let plain = try CLI.run(["model", "info", "--model", model, "--json"], environment: ["VIDSEARCH_GEMM": "", "VIDSEARCH_PRECISION": ""])
        let facts = try XCTUnwrap(plain.json.first?["products"] as? [String: Any])
        let bf16 = try XCTUnwrap(facts["cpu_bf16"] as? Bool), avx512 = (facts["onednn_isa"] as? String ?? "").hasPrefix("avx512")
        let f32Engine = avx512 ? "onednn-f32" : "openblas"
        XCTAssertEqual(facts["engine"] as? String, bf16 ? "onednn-bf16" : f32Engine)
        XCTAssertTrue((facts["why"] as? String ?? "").contains("the default"), "\(facts)")

        let f32 = try CLI.run(["model", "info", "--model", model, "--precision", "f32", "--json"], environment: ["VIDSEARCH_GEMM": ""])
        let products = try XCTUnwrap(f32.json.first?["products"] as? [String: Any])
        XCTAssertEqual(products["engine"] as? String, f32Engine)
        XCTAssertTrue((products["why"] as? String ?? "").contains("--precision f32"), "\(products)")
        let forced = try CLI.run(
            ["model", "info", "--model", model, "--json"], environment: ["VIDSEARCH_GEMM": "onednn", "VIDSEARCH_PRECISION": "f32"])
        XCTAssertEqual((forced.json.first?["products"] as? [String: Any])?["engine"] as? String, "onednn-f32")
        let blas = try CLI.run(["model", "info", "--model", model, "--precision", "bf16", "--json"], environment: ["VIDSEARCH_GEMM": "openblas"])
        let blasFacts = try XCTUnwrap(blas.json.first?["products"] as? [String: Any])
        XCTAssertEqual(blasFacts["engine"] as? String, "openblas")
        XCTAssertTrue((blasFacts["why"] as? String ?? "").contains("bf16 needs oneDNN"), "\(blasFacts)")

        // model check runs f32 by default (the reference's precision) and keeps 1e-4; asked for
        // bf16 it checks at bf16's tolerance.
        let check = try CLI.run(["model", "check", "--model", model, "--reference", model + "/reference.safetensors"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("within 0.0001"), check.stdout)
        let checkBF16 = try CLI.run(["model", "check", "--model", model, "--reference", model + "/reference.safetensors", "--precision", "bf16"])
        XCTAssertEqual(checkBF16.status, 0, checkBF16.stdout + checkBF16.stderr)
        XCTAssertTrue(checkBF16.stdout.contains(bf16 ? "within 0.02" : "within 0.0001"), checkBF16.stdout)
        XCTAssertEqual(try CLI.run(["model", "info", "--model", model, "--precision", "fp8"]).status, 2)
    }

    /// The index keeps the precision each video's vectors were made in; verify and stats say it,
    /// and a mix of the two is allowed and noted.
    func testTheIndexRecordsThePrecisionOfItsVectors() throws {
        let dir = try temporaryDirectory(self)
        let tiny = try tinyModel(self)
        let red = dir.appendingPathComponent("red.mp4").path, blue = dir.appendingPathComponent("blue.mp4").path
        try makeClip(red, color: "red", seconds: 4)
        try makeClip(blue, color: "blue", seconds: 4)
        let index = dir.appendingPathComponent("index").path
        XCTAssertEqual(try CLI.run(["index", red, "--index", index, "--model", tiny.path, "--precision", "f32"]).status, 0)
        var verify = try CLI.run(["verify", "--index", index, "--json"])
        XCTAssertEqual(verify.json.last?["precisions"] as? [String: Int], ["f32": 1])
        let info = try CLI.run(["model", "info", "--model", model, "--precision", "bf16", "--json"])
        guard (info.json.first?["products"] as? [String: Any])?["engine"] as? String == "onednn-bf16" else {
            throw XCTSkip("this CPU has no bf16 instructions: a bf16 index cannot be made here")
        }
        XCTAssertEqual(try CLI.run(["index", blue, "--index", index, "--model", tiny.path, "--precision", "bf16"]).status, 0)
        verify = try CLI.run(["verify", "--index", index, "--json"])
        XCTAssertEqual(verify.status, 0, verify.stdout)
        XCTAssertEqual(verify.json.last?["precisions"] as? [String: Int], ["f32": 1, "bf16": 1])
        XCTAssertTrue((verify.json.last?["notes"] as? [String] ?? []).contains { $0.contains("mixed precision") }, verify.stdout)
        let stats = try CLI.run(["stats", "--index", index])
        XCTAssertTrue(stats.stdout.contains("precision  bf16 (1 video), f32 (1 video)"), stats.stdout)
        // Both kinds of vectors answer the same query.
        let hits = try CLI.run(["search", "a red box", "--index", index, "--model", tiny.path, "--json"]).json
        XCTAssertEqual(Set(hits.compactMap { $0["path"] as? String }), [red, blue])
    }

    /// A file's vectors are the same whatever else its run holds (and so on a cluster's shard
    /// or on one machine): in bf16, a segment encoded beside others differed by 1e-4.
    func testAFilesVectorsDoNotDependOnWhatSharesItsRun() throws {
        let dir = try temporaryDirectory(self)
        let clips = try FileManager.default.contentsOfDirectory(atPath: CLI.repository.appendingPathComponent("Samples/demo-clips").path)
            .filter { $0.hasSuffix(".mp4") }.sorted().prefix(6).map { CLI.repository.appendingPathComponent("Samples/demo-clips/\($0)").path }
        XCTAssertEqual(clips.count, 6)
        let together = dir.appendingPathComponent("together").path, alone = dir.appendingPathComponent("alone").path
        XCTAssertEqual(try CLI.run(["index"] + clips + ["--index", together, "--model", model]).status, 0)
        for clip in [clips[0], clips[3]] { XCTAssertEqual(try CLI.run(["index", clip, "--index", alone, "--model", model]).status, 0) }
        func vectors(_ index: String) throws -> [String: [Double]] {
            Dictionary(
                try CLI.run(["export", "--index", index, "--vectors"]).json.map {
                    ("\($0["path"]!) \($0["start"]!)", $0["embedding"] as! [Double])
                }, uniquingKeysWith: { a, _ in a })
        }
        let all = try vectors(together), single = try vectors(alone)
        XCTAssertEqual(single.count, 2)
        for (key, vector) in single { XCTAssertEqual(all[key], vector, "\(key): encoded alone and beside other files") }
    }

    /// One segment, one vector: the same file indexed on one, two or three cores gives the same
    /// vectors bit for bit, with OpenBLAS, oneDNN f32 and this CPU's default (a product's rounding
    /// depends on how its work is cut among threads; the pipeline runs each segment on one).
    func testAFilesVectorsDoNotDependOnTheCoreCountOnAnyEngine() throws {
        let dir = try temporaryDirectory(self)
        let clip = CLI.repository.appendingPathComponent("Samples/demo-clips/clip-00001.mp4").path
        for engine in [["VIDSEARCH_GEMM": "openblas"], ["VIDSEARCH_GEMM": "onednn", "VIDSEARCH_PRECISION": "f32"], [:]] {
            var seen: [String: [Double]]?
            for threads in ["1", "2", "3"] {
                let index = dir.appendingPathComponent("\(engine.values.sorted().joined())-\(threads)").path
                let environment = engine.merging(["VIDSEARCH_THREADS": threads]) { a, _ in a }
                let r = try CLI.run(["index", clip, "--index", index, "--model", model], environment: environment)
                XCTAssertEqual(r.status, 0, r.stderr)
                let vectors = Dictionary(
                    try CLI.run(["export", "--index", index, "--vectors"]).json.map {
                        ("\($0["start"]!)", $0["embedding"] as! [Double])
                    }, uniquingKeysWith: { a, _ in a })
                XCTAssertGreaterThan(vectors.count, 0)
                XCTAssertFalse(vectors.values.contains { $0.contains { !$0.isFinite } })
                if let seen { XCTAssertEqual(vectors, seen, "\(engine) on \(threads) threads") } else { seen = vectors }
            }
        }
    }
}
