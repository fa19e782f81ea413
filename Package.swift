// swift-tools-version:5.10
// vidsearch: natural-language search over video archives with X-CLIP.
// Dependencies point one way (docs/ARCHITECTURE.md draws the same graph):
//   vidsearch -> {Server, Ingest, Query, XCLIP, Hub, CommandSupport, Bench}; Server -> {Query, VideoIndex, Ingest};
//   Bench -> {CommandSupport, Server, Ingest, Query, VideoIndex, XCLIP, Tensor, DNNLBridge, DNNLMatmul};
//   CommandSupport -> {Ingest, VideoIndex, XCLIP, Tensor, Hub};
//   Ingest -> {VideoIndex, XCLIP, Tensor, CFFmpeg, ICUBridge}; Query -> {VideoIndex, XCLIP};
//   VideoIndex -> {Tensor, CLMDB, FaissBridge, CSQLite}; XCLIP -> {Tensor, CIntrinsics, CZlib};
//   Tensor -> {CBLAS, CIntrinsics, DNNLBridge}; DNNLMatmul -> {DNNLBridge}; Hub -> {}.
// The vidsearch binary re-executes itself once, with GOMP_SPINCOUNT=1000, for the commands that
// run the model at length (index, watch, serve, demo, bench) unless the user set it: libgomp reads
// it before main, and its default spin after each oneDNN product held the cores that the model's
// own threads needed next (Sources/vidsearch/Support/OpenMPSpinning.swift).
import PackageDescription

// Numeric code is unusable at -Onone; these targets are optimized in every configuration
// so that `swift test` (a debug build) still runs the model at full speed.
// On x86-64 they target x86-64-v3 (AVX2, FMA, F16C: every x86 server CPU since 2013): without it
// Swift's SIMD types compile to SSE2 and a fused multiply-add becomes a call into libm.
#if arch(x86_64)
    let optimized: [SwiftSetting] = [.unsafeFlags(["-O", "-Xcc", "-march=x86-64-v3"])]
    let optimizedC = ["-O2", "-march=x86-64-v3"]
#else
    let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]
    let optimizedC = ["-O2"]
#endif

let package = Package(
    name: "vidsearch",
    products: [
        .executable(name: "vidsearch", targets: ["vidsearch"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // NIOPosix's thread pool, for the server's blocking work (Hummingbird depends on it already).
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        // Tests only: reads docs/openapi.yaml to check the API against it.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        // System libraries from Debian's -dev packages (see scripts/bootstrap).
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CLMDB", path: "Sources/CLMDB", pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]),
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),
        // FAISS through a narrow extern "C" surface; Debian's libfaiss.a has no c_api symbols.
        .target(
            name: "FaissBridge", path: "Sources/FaissBridge",
            cxxSettings: [.unsafeFlags(["-O2", "-fopenmp"])],
            linkerSettings: [
                .linkedLibrary("faiss"), .linkedLibrary("openblas"), .linkedLibrary("lapack"),
                .linkedLibrary("gomp"), .linkedLibrary("stdc++"), .linkedLibrary("m"),
            ]),

        // oneDNN's matrix products (f32, and bf16 where the CPU has it) through a narrow C surface.
        .target(
            name: "DNNLBridge", path: "Sources/DNNLBridge",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("dnnl")]),
        // ICU's charset detector (Debian's libicu) behind a plain C surface: Foundation's own ICU
        // has types of the same names, so ICU's headers stay inside the C file.
        .target(
            name: "ICUBridge", path: "Sources/ICUBridge",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc")]),
        // One fixed-shape oneDNN product, for the benchmarks' peak and the tests (not the model's).
        .target(
            name: "DNNLMatmul", dependencies: ["DNNLBridge"], path: "Sources/DNNLMatmul",
            cSettings: [.unsafeFlags(["-O2"])]),

        // F16C conversion and prefetch, which Swift's SIMD types do not reach (see its header).
        .target(name: "CIntrinsics", path: "Sources/CIntrinsics", cSettings: [.unsafeFlags(optimizedC)]),
        .target(
            name: "Tensor", dependencies: ["CBLAS", "CIntrinsics", "DNNLBridge"], path: "Sources/Tensor",
            swiftSettings: optimized),
        .target(
            name: "XCLIP", dependencies: ["Tensor", "CIntrinsics", "CZlib"], path: "Sources/XCLIP",
            swiftSettings: optimized),
        .target(
            name: "VideoIndex", dependencies: ["Tensor", "CLMDB", "FaissBridge", "CSQLite"], path: "Index",
            swiftSettings: optimized),
        .target(
            name: "Ingest", dependencies: ["VideoIndex", "XCLIP", "Tensor", "CFFmpeg", "ICUBridge"], path: "Ingest",
            swiftSettings: optimized),
        .target(
            name: "Query", dependencies: ["VideoIndex", "XCLIP"], path: "Query",
            swiftSettings: optimized),
        // Checkpoints from the Hugging Face hub into its cache (optimized: it hashes whole files).
        .target(name: "Hub", path: "Sources/Hub", swiftSettings: optimized),
        // `vidsearch serve`: the HTTP API and the page (its files embedded in the binary).
        .target(
            name: "Server",
            dependencies: [
                "Query", "VideoIndex", "Ingest", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Server",
            resources: [.embedInCode("Assets/index.html"), .embedInCode("Assets/app.js"), .embedInCode("Assets/app.css")]),
        // What the commands and the benchmarks share: where things are by default, a loaded model,
        // printing for people and scripts, child processes.
        .target(name: "CommandSupport", dependencies: ["Ingest", "VideoIndex", "XCLIP", "Tensor", "Hub"], path: "Sources/CommandSupport"),
        // `vidsearch bench`: speed and quality measurements (BENCHMARKS.md is made by them).
        .target(
            name: "Bench",
            dependencies: ["CommandSupport", "Server", "Ingest", "Query", "VideoIndex", "XCLIP", "Tensor", "DNNLBridge", "DNNLMatmul"],
            path: "Sources/Bench", swiftSettings: optimized),
        .executableTarget(
            name: "vidsearch",
            dependencies: [
                "Ingest", "Query", "XCLIP", "Hub", "Server", "CommandSupport", "Bench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/vidsearch"),

        // Every parser behind one fuzz entry point: the libFuzzer binary (scripts/fuzz) and the
        // corpus replay in the tests.
        .target(name: "FuzzTargets", dependencies: ["Ingest", "VideoIndex", "XCLIP"], path: "Tests/Fuzz/FuzzTargets"),
        .executableTarget(name: "FuzzParsers", dependencies: ["FuzzTargets"], path: "Tests/Fuzz/FuzzParsers"),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzTargets"], path: "Tests/Fuzz/CorpusTests"),

        // Helpers shared by the test targets (temporary folders, the ffmpeg tool).
        // Optimized: it writes full-size synthetic checkpoints (hundreds of millions of values).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: optimized),
        .testTarget(
            name: "XCLIPTests", dependencies: ["XCLIP", "Tensor"], path: "Tests/XCLIPTests",
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "IngestTests", dependencies: ["Ingest", "XCLIP", "VideoIndex", "TestSupport"], path: "Tests/IngestTests",
            resources: [.copy("Fixtures")]),
        .testTarget(name: "IndexTests", dependencies: ["VideoIndex", "Tensor"], path: "Tests/IndexTests"),
        .testTarget(name: "HubTests", dependencies: ["Hub", "TestSupport"], path: "Tests/HubTests"),
        .testTarget(name: "QueryTests", dependencies: ["Query", "VideoIndex", "XCLIP", "Tensor"], path: "Tests/QueryTests"),
        .testTarget(
            name: "CLITests",
            dependencies: ["vidsearch", "CommandSupport", "Server", "VideoIndex", "TestSupport", .product(name: "Yams", package: "Yams")],
            path: "Tests/CLITests"),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Query", "VideoIndex", "XCLIP", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/ServerTests"),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CBLAS", "CLMDB", "CFFmpeg", "FaissBridge", "DNNLBridge", "DNNLMatmul", "VideoIndex", "Ingest", "Tensor", "TestSupport"],
            path: "Tests/SystemLibraryTests"),
    ]
)
