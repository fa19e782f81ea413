import CommandSupport
import Foundation
import Ingest
import Tensor
import VideoIndex
import XCLIP

/// Decoding against the model (B/32, seeded weights) on H.264 files made with the ffmpeg tool
/// (720p and 1080p): decode + preprocess CPU per segment, what each decoding shortcut saves and
/// how far it moves the embeddings from exact decoding, and end-to-end video-seconds per second
/// of the pipeline with the OpenBLAS f32 products and with this CPU's default products, each
/// against its ideal (decode CPU-seconds plus model CPU-seconds, over the cores).
public enum IngestBenchmark {
    private struct Clip { let label: String, path: String, seconds: Double }

    public static func run(report: Report) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-bench-ingest-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var clips: [Clip] = []
        // "720p_grain": the same picture under moving film grain, textured as camera footage is,
        // where the shortcuts' effect on the embeddings shows more than on smooth synthetic video.
        for (label, size, seconds, filter) in [
            ("720p", "1280x720", 80.0, ""), ("1080p", "1920x1080", 40.0, ""),
            ("2160p", "3840x2160", 12.0, ""), ("720p_grain", "1280x720", 20.0, ",noise=alls=20:allf=t"),
        ] {
            let path = dir.appendingPathComponent("\(label).mp4").path
            let made = try Subprocess.run(
                "ffmpeg",
                [
                    "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=s=\(size):r=30:d=\(Int(seconds))\(filter)",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", path,
                ])
            guard made.status == 0 else {
                report.skip("ingest", "the ffmpeg tool could not make the \(label) H.264 test file (exit \(made.status))")
                return
            }
            clips.append(Clip(label: label, path: path, seconds: seconds))
        }

        let engineBefore = ProductEngine.current
        defer { ProductEngine.current = engineBefore }
        let model = try XCLIPModel(configuration: XCLIPConfiguration(), source: RandomTensorSource(seed: 5))
        let preprocessor = FramePreprocessor(PreprocessorConfiguration())

        // Decode + preprocess alone, CPU-seconds per segment: exact, and with each shortcut.
        var decodeCPU: [String: Double] = [:]
        for clip in clips {
            let plan = SegmentPlan(duration: clip.seconds, frames: 8)
            // "exact" drops the B-frames on screen at no sampled time (the pipeline's default, exact
            // by construction and by test); "every_frame" decodes them too, as before.
            // 4K: what decoding costs there and what two threads give; the end-to-end runs are 720p and 1080p.
            let variants: [(String, SegmentOptions, Bool)] =
                clip.label == "2160p"
                ? [("exact", SegmentOptions(decoderThreads: 1), true)]
                : clip.label == "720p_grain"
                    ? [
                        ("exact", SegmentOptions(decoderThreads: 1), true),
                        ("skip_loop_filter", SegmentOptions(skipLoopFilter: true, decoderThreads: 1), true),
                        ("fast_colour", SegmentOptions(decoderThreads: 1), true),
                    ]
                    : [
                        ("exact", SegmentOptions(decoderThreads: 1), true),
                        ("every_frame", SegmentOptions(decoderThreads: 1), false),
                        ("skip_loop_filter", SegmentOptions(skipLoopFilter: true, decoderThreads: 1), true),
                        ("fast_colour", SegmentOptions(decoderThreads: 1), true),
                    ]
            var exactPixels: [[Float]] = []
            for (label, options, dropping) in variants {
                var pixels: [[Float]] = []
                var decoded = 0
                let (t, cpu) = try Measure.timeWithCPU(repeats: 3) {
                    (pixels, decoded) = try decode(
                        clip.path, plan: plan, options: options, preprocessor: preprocessor, dropping: dropping,
                        fastColour: label == "fast_colour")
                }
                let perSegment = cpu / Double(plan.segments.count)
                if label == "exact" {
                    decodeCPU[clip.label] = perSegment
                    exactPixels = pixels
                    report.add(
                        "ingest.\(clip.label).decode_preprocess", perSegment, "CPU-s/segment", timing: t,
                        note: String(
                            format:
                                "H.264 30 fps, 8 frames per 4 s segment, one thread, exact: %d of %.0f frames decoded, the rest B-frames no sampled time shows",
                            decoded, clip.seconds * 30))
                } else if label == "every_frame" {
                    let same = pixels == exactPixels
                    report.add(
                        "ingest.\(clip.label).decode_preprocess.every_frame", perSegment, "CPU-s/segment", timing: t,
                        ratio: perSegment / decodeCPU[clip.label]!, ratioTo: "exact (x its CPU)",
                        note: "every frame decoded, none dropped; model input \(same ? "identical" : "DIFFERENT") to exact")
                } else {
                    let cosine = try worstCosine(model, exactPixels, pixels)
                    let what = label == "fast_colour" ? "libswscale's SIMD colour conversion (no accurate rounding, chroma repeated); " : ""
                    report.add(
                        "ingest.\(clip.label).decode_preprocess.\(label)", perSegment, "CPU-s/segment", timing: t,
                        ratio: decodeCPU[clip.label]! / perSegment, ratioTo: "exact (x faster)",
                        note: what + String(format: "embeddings' worst cosine to exact decoding %.5f (B/32, seeded weights)", cosine))
                }
            }
            if clip.label == "1080p" || clip.label == "2160p" {
                let (t, _) = try Measure.timeWithCPU(repeats: 3) {
                    _ = try decode(clip.path, plan: plan, options: SegmentOptions(decoderThreads: 2), preprocessor: preprocessor, dropping: true)
                }
                let wall = t.median / Double(plan.segments.count)
                report.add(
                    "ingest.\(clip.label).decode_preprocess.threads2", wall, "s/segment", timing: t,
                    ratio: decodeCPU[clip.label]! / wall, ratioTo: "one thread (x faster)", note: "frame and slice threads, wall time")
            }
        }

        // The model alone, CPU-seconds per segment for each engine.
        var rng = SeededRandom(seed: 1)
        let pixels = rng.tensor([4, 8, 3, 224, 224])
        let engines = [ProductEngine.openblas] + (engineBefore == .openblas ? [] : [engineBefore])
        var modelCPU: [ProductEngine: Double] = [:]
        for engine in engines {
            ProductEngine.current = engine
            let (t, cpu) = try Measure.timeWithCPU(repeats: 3) { _ = try model.encodeVideos(pixels) }
            modelCPU[engine] = cpu / 4
            report.add(
                "ingest.model.\(engine.rawValue)", t.median / 4, "s/segment", timing: t,
                note: String(format: "B/32, batch 4, %.3f CPU-s/segment", cpu / 4))
        }
        if engineBefore != .openblas {
            // As a pipeline worker runs it: one segment on one thread.
            ProductEngine.current = engineBefore
            let budget = Parallel.cores
            Parallel.cores = 1
            let one = Tensor(shape: [1, 8, 3, 224, 224])
            one.data.update(from: pixels.data, count: one.count)
            let (t, cpu) = try Measure.timeWithCPU(repeats: 5) { _ = try model.encodeVideos(one) }
            Parallel.cores = budget
            report.add(
                "ingest.model.\(engineBefore.rawValue).worker", t.median, "s/segment", timing: t,
                ratio: modelCPU[engineBefore]! / cpu, ratioTo: "batch 4 on every core (CPU, x less)",
                note: String(format: "B/32, one segment on one thread (a pipeline worker), %.3f CPU-s/segment", cpu))
        }

        // End to end: the 720p and the 1080p file through the pipeline (decoders beside the model).
        let cores = Double(Parallel.cores)
        var openblasRate: [String: Double] = [:]
        // With oneDNN also one multi-threaded model call at a time and one decoder (the rule before
        // the workers); the workers decode the two files side by side.
        let runs = engines.map { ($0, 0) } + (engineBefore == .openblas ? [] : [(engineBefore, 1)])
        for (engine, workers) in runs {
            ProductEngine.current = engine
            for clip in clips where clip.label == "720p" || clip.label == "1080p" {
                let pipeline = try IngestPipeline(model: model, preprocessor: preprocessor, options: .init(modelWorkers: workers))
                // Two files back to back, as a folder is indexed: one file's first segment (decoded
                // while the model waits) and last (encoded while the decoder has nothing to do) would
                // weigh on a single 40 s file as they do not on a folder.
                let second = dir.appendingPathComponent("\(clip.label)-copy.mp4").path
                if !FileManager.default.fileExists(atPath: second) { try FileManager.default.linkItem(atPath: clip.path, toPath: second) }
                let segments = 2 * Double(SegmentPlan(duration: clip.seconds, frames: 8).segments.count)
                let start = Date()
                try pipeline.run(paths: [clip.path, second]) { _ in }
                let elapsed = Date().timeIntervalSince(start)
                let ideal = segments * (decodeCPU[clip.label]! + modelCPU[engine]!) / cores
                let rate = 2 * clip.seconds / elapsed
                if engine == .openblas { openblasRate[clip.label] = rate }
                let faster = engine != .openblas ? String(format: "; %.2fx the OpenBLAS f32 pipeline", rate / openblasRate[clip.label]!) : ""
                let shape =
                    workers == 1
                    ? "; one model call at a time on every core, one decoder"
                    : engine == .openblas ? "" : "; one single-threaded model worker per core, two files decoded at once"
                report.add(
                    "ingest.\(clip.label).end_to_end.\(engine.rawValue)\(workers == 1 ? ".one_call" : "")", rate, "video-s/s",
                    ratio: elapsed / ideal, ratioTo: "ideal (x its time)",
                    note: String(
                        format: "the file twice in one run; ideal %.1f s: (decode %.3f + model %.3f CPU-s) x %.0f segments / %.0f cores%@%@",
                        ideal, decodeCPU[clip.label]!, modelCPU[engine]!, segments, cores, faster, shape))
            }
        }
        ProductEngine.current = engineBefore
        var thumbnails: [Int] = []
        try IngestPipeline(model: model, preprocessor: preprocessor).run(paths: [clips[0].path]) { event in
            if case .finished(let encoded) = event { thumbnails = encoded.segments.map(\.thumbnail.count) }
        }
        report.add(
            "ingest.thumbnail_bytes", Double(thumbnails.reduce(0, +)) / Double(max(thumbnails.count, 1)), "bytes",
            note: "mean over the 720p file's \(thumbnails.count) segments; budget \(ThumbnailEncoder.budget) (one LMDB overflow page)")
        report.add("ingest.peak_memory", Double(Measure.peakResidentBytes()) / 1_048_576, "MiB")
        try residentPeaks(report: report, engines: engines, clip: clips[0].path)
    }

    /// Peak memory of a process that indexes the 720p file with B/32 (seeded weights), as a
    /// command runs it (`bench --ingest-peak FILE`, a process per engine): with the OpenBLAS f32
    /// products (one f32 copy of the weights) and with this CPU's default (oneDNN's copies, the
    /// vision layers' f32 weights given back once oneDNN holds its own).
    private static func residentPeaks(report: Report, engines: [ProductEngine], clip: String) throws {
        var openblas = 0.0
        for engine in engines {
            let setting = engine == .openblas ? "VIDSEARCH_GEMM=openblas" : "VIDSEARCH_GEMM=auto"
            guard let bytes = try Measure.childPeakBytes(["--ingest-peak", clip], environment: [setting]) else {
                report.skip("ingest.peak_memory.\(engine.rawValue)", "the child process failed")
                continue
            }
            let mib = Double(bytes) / 1_048_576
            if engine == .openblas { openblas = mib }
            report.add(
                "ingest.peak_memory.\(engine.rawValue)", mib, "MiB",
                ratio: engine == .openblas ? nil : mib / openblas, ratioTo: engine == .openblas ? nil : "OpenBLAS f32",
                note: engine == .openblas
                    ? "a process indexing the 720p file with B/32: one f32 copy of the weights"
                    : "the same: oneDNN's copies, the vision layers' f32 weights given back (as every command runs)")
        }
    }

    /// The child side of `residentPeaks`: the pipeline over one file, then the peak resident bytes.
    public static func peak(indexing path: String) throws {
        ProductEngine.releasesPlainWeights = true  // as LoadedModel does for every command
        let model = try XCLIPModel(configuration: XCLIPConfiguration(), source: RandomTensorSource(seed: 5))
        try IngestPipeline(model: model, preprocessor: FramePreprocessor(PreprocessorConfiguration())).run(paths: [path]) { _ in }
        print(Measure.peakResidentBytes())
    }

    /// Every segment's preprocessed frames, decoded as the pipeline decodes them, and how many
    /// frames the decoder handed over.
    private static func decode(
        _ path: String, plan: SegmentPlan, options: SegmentOptions,
        preprocessor: FramePreprocessor, dropping: Bool, fastColour: Bool = false
    ) throws -> ([[Float]], Int) {
        let decoder = try VideoDecoder(path: path, threads: options.decoderThreads)
        decoder.fastColourConversion = fastColour
        decoder.skipLoopFilterWhenFar = options.skipLoopFilter
        decoder.skipsUnneededFrames = dropping
        let pixels = try plan.segments.map { segment in
            preprocessor.process(try decoder.sample(times: segment.frameTimes, seekThreshold: options.seekThreshold).map(\.image))
        }
        return (pixels, decoder.decodedFrames)
    }

    /// The lowest cosine between the embeddings of the same segments decoded two ways (NaN counts as the worst).
    private static func worstCosine(_ model: XCLIPModel, _ a: [[Float]], _ b: [[Float]]) throws -> Double {
        let v = model.configuration.vision
        var worst = 1.0
        for (x, y) in zip(a, b) {
            let pair = Tensor(shape: [2, v.numFrames, v.numChannels, v.imageSize, v.imageSize])
            x.withUnsafeBufferPointer { pair.data.update(from: $0.baseAddress!, count: x.count) }
            y.withUnsafeBufferPointer { (pair.data + x.count).update(from: $0.baseAddress!, count: y.count) }
            let e = try model.encodeVideos(pair).embeddings
            let p = model.embeddingSize
            var dot = 0.0, nx = 0.0, ny = 0.0
            for i in 0..<p {
                let u = Double(e.row(0)[i]), w = Double(e.row(1)[i])
                dot += u * w
                nx += u * u
                ny += w * w
            }
            let cosine = dot / (nx.squareRoot() * ny.squareRoot())
            if !(cosine >= worst) { worst = cosine.isNaN ? -1 : cosine }
        }
        return worst
    }
}
