import Foundation
import Tensor
import VideoIndex
import XCLIP

/// Video files in, encoded segments out. Decoding threads prepare segments (decode, sample,
/// preprocess, thumbnail) into a bounded queue while the model encodes them (on the calling
/// thread, or in ModelWorkers), so decoding of the next segments overlaps model work on the
/// current ones and memory stays bounded whatever the videos' lengths.
public final class IngestPipeline {
    public struct Options {
        public var segments = SegmentOptions()
        /// Prepared segments allowed to wait for the model.
        public var queueCapacity = 8
        /// Single-threaded model workers; 0 follows the rule in `run` (`bench ingest` compares
        /// one worker on every core with it).
        public var modelWorkers = 0

        public init(segments: SegmentOptions = SegmentOptions(), queueCapacity: Int = 8, modelWorkers: Int = 0) {
            self.segments = segments
            self.queueCapacity = queueCapacity
            self.modelWorkers = modelWorkers
        }
    }

    public struct EncodedVideo {
        public let path: String
        public let info: VideoInfo
        public let segments: [EncodedSegment]
        public let warnings: [String]
        /// The precision of what made the vectors (ProductTally): "f32", "bf16", or "bf16+f32"
        /// where a product asked of bf16 fell back to f32.
        public let precision: String
        /// Part of the file could not be indexed (it is shorter than its header says).
        public var partial = false
        /// The shot boundaries found (seconds), nil where cut detection was off.
        public var cuts: [Double]?
    }

    public enum Event {
        case started(path: String, info: VideoInfo, segments: Int)
        /// `count` more segments of `path` went through the model.
        case encoded(path: String, count: Int)
        case finished(EncodedVideo)
        case failed(DecodeError)
    }

    public let model: XCLIPModel
    public let preprocessor: FramePreprocessor
    public let options: Options

    public init(model: XCLIPModel, preprocessor: FramePreprocessor, options: Options = Options()) throws {
        let size = model.configuration.vision.imageSize
        guard preprocessor.outputHeight == size, preprocessor.outputWidth == size else {
            throw IngestError.imageSizeMismatch(model: size, preprocessor: "\(preprocessor.outputWidth)x\(preprocessor.outputHeight)")
        }
        self.model = model
        self.preprocessor = preprocessor
        self.options = options
    }

    private struct FileState {
        var info: VideoInfo?
        var expected = -1
        var ended = false
        var warnings: [String] = []
        var partial = false
        var cuts: [Double]?
        var done: [EncodedSegment] = []
        var precisions: Set<String> = []
    }

    /// A segment through the model, and the precision of the products that made it.
    struct ModelOutput {
        let segment: EncodedSegment
        let precision: String
    }

    /// Runs each segment's model call: a server holds the model's lock for one segment at a time
    /// (its searches go on between them) and stops an example whose client has gone by throwing.
    public typealias ModelTurn = (_ call: () throws -> Void) throws -> Void

    /// Runs every path through the pipeline, reporting each event on the calling thread in order.
    public func run(paths: [String], modelTurn: ModelTurn? = nil, handle: (Event) throws -> Void) throws {
        // The model runs as one single-threaded worker per core beside the decoders (ModelWorkers),
        // one segment per call: a product's rounding depends on its row count and on how its work
        // is cut among threads (OpenBLAS and oneDNN alike), so a segment's vector is then the same
        // whatever else the run holds and however many cores there are. Decoding 720p also costs
        // less than the model (BENCHMARKS.md, ingest), and a multi-threaded call beside a decoder
        // either leaves a core idle or waits for one.
        let budget = model.settings?.cores ?? Parallel.cores
        let workers = options.modelWorkers > 0 ? options.modelWorkers : budget
        // Beside other workers, each worker and each decoder runs on one core, by settings of its
        // own (nothing process-wide changes: a server's searches keep their cores meanwhile).
        let oneCore = RunSettings(engine: model.settings?.engine ?? ProductEngine.current, cores: 1)
        let threadSettings: RunSettings? = workers > 1 ? oneCore : nil
        // Beside the workers, files are decoded two at a time (or one per two cores): one decoder
        // on 1080p costs more than a segment's model work and its own threads scale poorly
        // (BENCHMARKS.md, ingest: `1080p.decode_preprocess.threads2`), so a folder keeps every core
        // busy by decoding another file, each on one thread unless asked otherwise.
        let decoders = workers > 1 ? max(1, min(paths.count, max(2, budget / 2))) : 1
        var segmentOptions = options.segments
        if decoders > 1 && segmentOptions.decoderThreads == 0 { segmentOptions.decoderThreads = 1 }
        let queue = BoundedQueue<PipelineItem>(capacity: options.queueCapacity)
        let source = SegmentSource(preprocessor: preprocessor, frames: model.configuration.vision.numFrames, options: segmentOptions)
        let turns = FileTurns(files: paths.count, decoders: decoders)
        for _ in 0..<decoders {
            let producer = Thread {
                _ = RunSettings.replace(with: threadSettings)
                while let file = turns.next() { source.run(path: paths[file], file: file) { queue.push($0) } }
                if turns.decoderDone() { queue.close() }
            }
            producer.stackSize = 8 << 20
            producer.start()
        }
        defer { queue.close() }

        var files: [Int: FileState] = [:]

        func finishReady() throws {
            for (file, state) in files.sorted(by: { $0.key < $1.key }) where state.ended && state.done.count == state.expected {
                files[file] = nil
                let precision =
                    state.precisions.count == 1
                    ? state.precisions.first! : state.precisions.isEmpty ? (model.settings?.engine ?? ProductEngine.current).precision : "bf16+f32"
                try handle(
                    .finished(
                        EncodedVideo(
                            path: paths[file], info: state.info!, segments: state.done.sorted { $0.segment.start < $1.segment.start },
                            warnings: state.warnings, precision: precision, partial: state.partial,
                            cuts: state.cuts)))
            }
        }

        func encoded(_ file: Int, _ output: ModelOutput) throws {
            files[file]?.done.append(output.segment)
            files[file]?.precisions.insert(output.precision)
            try handle(.encoded(path: paths[file], count: 1))
            try finishReady()
        }

        // Everything but a segment, in queue order.
        func process(_ item: PipelineItem) throws {
            switch item {
            case .begin(let file, let info, let segments):
                files[file] = FileState(info: info, expected: segments)
                try handle(.started(path: paths[file], info: info, segments: segments))
            case .segment(let file, let segment):
                try encoded(file, try encode(segment, turn: modelTurn))
            case .end(let file, let segments, let warnings, let partial, let cuts):
                files[file]?.ended = true
                files[file]?.cuts = cuts
                files[file]?.expected = segments
                files[file]?.warnings = warnings
                files[file]?.partial = partial
                try finishReady()
            case .failed(let file, let error):
                files[file] = nil
                try handle(.failed(error))
            }
        }

        if workers > 1 {
            let pool = ModelWorkers(count: workers, items: queue) { [self] segment in try encode(segment, settings: oneCore, turn: modelTurn) }
            defer { pool.stop() }
            while let outcome = try pool.next() {
                switch outcome {
                case .item(let item): try process(item)
                case .encoded(let file, let output): try encoded(file, output)
                }
            }
            return
        }
        while let item = queue.pop() { try process(item) }
    }

    /// One model call for one prepared segment, on the calling thread's tally.
    func encode(_ segment: PreparedSegment, settings: RunSettings? = nil, turn: ModelTurn? = nil) throws -> ModelOutput {
        _ = ProductTally.take()
        let v = model.configuration.vision
        let pixels = Tensor(uninitialized: [1, v.numFrames, v.numChannels, v.imageSize, v.imageSize])
        segment.pixels.withUnsafeBufferPointer { pixels.data.update(from: $0.baseAddress!, count: pixels.count) }
        let out = try Self.inTurn(turn) { try model.encodeVideos(pixels, settings: settings) }
        let precision = ProductTally.take().precision
        let p = model.embeddingSize, tokens = model.promptTokenCount
        let encoded = EncodedSegment(
            segment: segment.record,
            embedding: Array(UnsafeBufferPointer(start: out.embeddings.row(0), count: p)),
            promptTokens: Array(UnsafeBufferPointer(start: out.promptTokens.data, count: tokens * p)),
            thumbnail: segment.thumbnail)
        return ModelOutput(segment: encoded, precision: precision)
    }

    private static func inTurn<T>(_ turn: ModelTurn?, _ call: () throws -> T) throws -> T {
        guard let turn else { return try call() }
        var result: T?
        try turn { result = try call() }
        guard let result else { throw CancellationError() }  // the turn declined the call
        return result
    }
}
