import Foundation
import VideoIndex

/// Segment options of an ingest run.
public struct SegmentOptions: Equatable {
    /// Window length in seconds (default 4).
    public var length = SegmentPlan.defaultLength
    /// Seconds between window starts (default 4: back to back).
    public var stride = SegmentPlan.defaultStride
    /// Seek instead of decoding forward when the next wanted frame is this many seconds ahead.
    public var seekThreshold = 8.0
    /// Skip the loop filter on frames decoded far from a sampled one (VideoDecoder).
    public var skipLoopFilter = false
    /// Decoding threads per file: 0 picks by frame size (VideoDecoder.threads(width:height:)).
    public var decoderThreads = 0
    /// Find cuts while decoding and keep every segment inside one shot (ShotSegmenter); off, the
    /// fixed windows of SegmentPlan, which may straddle a cut.
    public var detectCuts = true
    /// The shortest segment a cut may make (shorter shots join their neighbour's segment).
    public var minimumLength = 1.0
    /// Only this many seconds from each file's start (a query by example's bound); nil: all of it.
    public var maxSeconds: Double?

    public init(
        length: Double = SegmentPlan.defaultLength, stride: Double = SegmentPlan.defaultStride, seekThreshold: Double = 8,
        skipLoopFilter: Bool = false, decoderThreads: Int = 0, detectCuts: Bool = true
    ) {
        self.length = length
        self.stride = stride
        self.seekThreshold = seekThreshold
        self.skipLoopFilter = skipLoopFilter
        self.decoderThreads = decoderThreads
        self.detectCuts = detectCuts
    }
}

/// Decodes one video segment by segment: for each segment, the frames at its sample times,
/// preprocessed for the model, and a thumbnail of its middle frame.
public struct SegmentSource {
    let preprocessor: FramePreprocessor
    let frames: Int
    let options: SegmentOptions

    public init(preprocessor: FramePreprocessor, frames: Int, options: SegmentOptions) {
        self.preprocessor = preprocessor
        self.frames = frames
        self.options = options
    }

    /// What ingest would hand the model for one file, without the model: its segments and cuts
    /// (`bench cuts` times it with and without cut detection).
    public func segments(path: String) throws -> (segments: [SegmentRecord], cuts: [Double]?) {
        var records: [SegmentRecord] = [], cuts: [Double]?
        var failure: DecodeError?
        run(path: path, file: 0) { item in
            switch item {
            case .segment(_, let prepared): records.append(prepared.record)
            case .end(_, _, _, _, let found): cuts = found
            case .failed(_, let error): failure = error
            case .begin: break
            }
        }
        if let failure { throw failure }
        return (records, cuts)
    }

    func run(path: String, file: Int, emit: (PipelineItem) -> Void) {
        do {
            let decoder = try VideoDecoder(path: path, threads: options.decoderThreads)
            decoder.skipLoopFilterWhenFar = options.skipLoopFilter
            var duration = decoder.info.duration
            if let cap = options.maxSeconds, duration <= 0 || duration > cap {
                duration = cap  // no pass over a long file to learn its length: the decoder's end stops short ones
            } else if duration <= 0 {
                // The container does not say: the last frame's time, from one decoding pass.
                let scan = try VideoDecoder(path: path)
                var last = 0.0
                while let t = try scan.skipFrame() { last = t }
                duration = last + (decoder.info.frameRate > 0 ? 1 / decoder.info.frameRate : 0)
            }
            // The header's duration is a claim: windows are made as decoding reaches them, and the
            // count only estimates progress.
            let windows = SegmentPlan.windows(duration: duration, length: options.length, stride: options.stride, frames: frames)
            emit(
                .begin(
                    file: file, info: decoder.info, segments: SegmentPlan.count(duration: duration, length: options.length, stride: options.stride)))
            if options.detectCuts {
                try runShots(decoder: decoder, duration: duration, file: file, emit: emit)
                return
            }
            // Past the decodable end the decoder repeats the last frame: a segment sampled there
            // would be invented. Within this margin of the last frame a time is still covered.
            let frameTime = decoder.info.frameRate > 0 ? 1 / decoder.info.frameRate : 0.5
            let margin = 1.5 * frameTime + 0.05
            var emitted: [SegmentPlan.Segment] = []
            var decodedEnd: Double?
            func emitSegment(_ segment: SegmentPlan.Segment) throws -> Bool {
                let decoded = try decoder.sample(times: segment.frameTimes, seekThreshold: options.seekThreshold)
                if decoder.reachedEnd, let last = decoder.furthestFrameTime, duration - last > margin + 0.25,
                    let lastTime = segment.frameTimes.last, lastTime > last + margin
                {
                    decodedEnd = last + frameTime
                    return false
                }
                let pixels = preprocessor.process(decoded.map(\.image))
                let thumbnail = ThumbnailEncoder.thumbnail(decoded[decoded.count / 2].image)
                let record = SegmentRecord(start: segment.start, end: segment.end, frameTimes: decoded.map(\.time))
                emit(.segment(file: file, PreparedSegment(record: record, pixels: pixels, thumbnail: thumbnail)))
                emitted.append(segment)
                return true
            }
            for segment in windows where try !emitSegment(segment) { break }
            // Cut short, or only the video stream ends early (audio outlasting it reaches the file's
            // end): the data read says which.
            let cutShort = decodedEnd != nil && (decoder.furthestPacketTime ?? 0) < duration - margin - 0.25
            if let decodedEnd {
                // The video is shorter than the header says: plan again for what is there and add the
                // windows that plan has and the emitted ones lack (the one flush with the real end);
                // the part past it is not indexed.
                let real = SegmentPlan(duration: decodedEnd, length: options.length, stride: options.stride, frames: frames)
                for segment in real.segments where !emitted.contains(where: { $0.start == segment.start }) {
                    guard try emitSegment(segment) else { break }
                }
            }
            emit(
                .end(
                    file: file, segments: emitted.count,
                    warnings: Self.warnings(decodedEnd: decodedEnd, duration: duration, cutShort: cutShort, decoder: decoder),
                    partial: cutShort, cuts: nil))
        } catch let error as DecodeError {
            emit(.failed(file: file, error))
        } catch {
            emit(.failed(file: file, DecodeError(path: path, reason: "\(error)")))
        }
    }

    /// One sampled frame of the shot grid: ready for the model, and small for a thumbnail.
    private struct GridSample {
        let time: Double
        let pixels: [Float]
        let small: RGBImage
    }

    /// Decodes forward once, finding cuts as it goes (CutDetector) and sampling the shot grid
    /// (ShotSegmenter); emits each segment as soon as no cut can change it, and the cuts at the end.
    private func runShots(decoder: VideoDecoder, duration: Double, file: Int, emit: (PipelineItem) -> Void) throws {
        var detector = CutDetector()
        var segmenter = ShotSegmenter<GridSample>(
            length: options.length, stride: options.stride, frames: frames,
            minimumLength: options.minimumLength)
        var emitted = 0
        func send(_ windows: [ShotSegmenter<GridSample>.Window]) {
            for window in windows {
                let pixels = Array(window.samples.map(\.pixels).joined())
                let thumbnail = ThumbnailEncoder.thumbnail(window.samples[window.samples.count / 2].small)
                let record = SegmentRecord(start: window.start, end: window.end, frameTimes: window.samples.map(\.time))
                emit(.segment(file: file, PreparedSegment(record: record, pixels: pixels, thumbnail: thumbnail)))
                emitted += 1
            }
        }
        var found: [CutDetector.Cut] = []
        decoder.observer = { observation in
            switch observation {
            case .frame(let time, let luma): found += detector.add(time: time, luma: luma)
            case .jump: detector.jump()
            }
        }
        defer { decoder.observer = nil }
        let frameTime = decoder.info.frameRate > 0 ? 1 / decoder.info.frameRate : 0.5
        let margin = 1.5 * frameTime + 0.05
        var decodedEnd: Double?
        var sampled = 0
        // A window's worth of grid times per decoder call: the decoder then knows which frames
        // between them no time shows, and drops those it can. At least one sample: a photo or a
        // clip shorter than the grid's step is one segment too.
        sampling: while segmenter.nextTime < duration || sampled == 0 {
            var times = segmenter.upcomingTimes(frames).filter { $0 < duration }
            if times.isEmpty { times = [min(segmenter.nextTime, duration / 2)] }
            let decoded = try decoder.sample(times: times, seekThreshold: options.seekThreshold)
            for (t, frame) in zip(times, decoded) {
                // Past the decodable end the decoder repeats the last frame: nothing to sample there.
                if decoder.reachedEnd, let last = decoder.furthestFrameTime, t > last + margin, sampled > 0 {
                    if duration - last > margin + 0.25 { decodedEnd = last + frameTime }
                    break sampling
                }
                let pixels = preprocessor.process([frame.image])
                segmenter.add(GridSample(time: frame.time, pixels: pixels, small: ThumbnailSource.reduce(frame.image)))
                sampled += 1
            }
            // A cut within the shortest segment of the end would leave a sliver after it.
            for cut in found where cut.time <= duration - options.minimumLength { send(segmenter.cut(at: cut.time)) }
            found = []
            send(segmenter.settle(upTo: detector.settled))
        }
        let end = decodedEnd ?? duration
        for cut in found + detector.finish() where cut.time <= end - options.minimumLength { send(segmenter.cut(at: cut.time)) }
        send(segmenter.finish(end: end))
        let cutShort = decodedEnd != nil && (decoder.furthestPacketTime ?? 0) < duration - margin - 0.25
        emit(
            .end(
                file: file, segments: emitted,
                warnings: Self.warnings(decodedEnd: decodedEnd, duration: duration, cutShort: cutShort, decoder: decoder),
                partial: cutShort, cuts: segmenter.cuts))
    }

    /// The recoverable damage of a file: where its video ended early, and damaged packets skipped.
    private static func warnings(decodedEnd: Double?, duration: Double, cutShort: Bool, decoder: VideoDecoder) -> [String] {
        var warnings: [String] = []
        if let decodedEnd {
            warnings.append(
                cutShort
                    ? String(format: "truncated: decoded %.1f s of %.1f s; only that part is indexed", decodedEnd, duration)
                    : String(format: "the video stream ends at %.1f s of the file's %.1f s; indexed to its end", decodedEnd, duration))
        }
        if decoder.corruptPackets > 0 {
            warnings.append("\(decoder.corruptPackets) damaged packets or frames skipped; the rest was indexed")
        }
        return warnings
    }
}
