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

    public init(length: Double = SegmentPlan.defaultLength, stride: Double = SegmentPlan.defaultStride, seekThreshold: Double = 8,
                skipLoopFilter: Bool = false, decoderThreads: Int = 0) {
        self.length = length
        self.stride = stride
        self.seekThreshold = seekThreshold
        self.skipLoopFilter = skipLoopFilter
        self.decoderThreads = decoderThreads
    }
}

/// Decodes one video segment by segment: for each segment, the frames at its sample times,
/// preprocessed for the model, and a thumbnail of its middle frame.
struct SegmentSource {
    let preprocessor: FramePreprocessor
    let frames: Int
    let options: SegmentOptions

    func run(path: String, file: Int, emit: (PipelineItem) -> Void) {
        do {
            let decoder = try VideoDecoder(path: path, threads: options.decoderThreads)
            decoder.skipLoopFilterWhenFar = options.skipLoopFilter
            var duration = decoder.info.duration
            if duration <= 0 {
                // The container does not say: the last frame's time, from one decoding pass.
                let scan = try VideoDecoder(path: path)
                var last = 0.0
                while let t = try scan.skipFrame() { last = t }
                duration = last + (decoder.info.frameRate > 0 ? 1 / decoder.info.frameRate : 0)
            }
            let plan = SegmentPlan(duration: duration, length: options.length, stride: options.stride, frames: frames)
            emit(.begin(file: file, info: decoder.info, segments: plan.segments.count))
            // Past the decodable end the decoder repeats the last frame: a segment sampled there
            // would be invented. Within this margin of the last frame a time is still covered.
            let frameTime = decoder.info.frameRate > 0 ? 1 / decoder.info.frameRate : 0.5
            let margin = 1.5 * frameTime + 0.05
            var emitted: [SegmentPlan.Segment] = []
            var decodedEnd: Double?
            func emitSegment(_ segment: SegmentPlan.Segment) throws -> Bool {
                let decoded = try decoder.sample(times: segment.frameTimes, seekThreshold: options.seekThreshold)
                if decoder.reachedEnd, let last = decoder.furthestFrameTime, duration - last > margin + 0.25,
                   let lastTime = segment.frameTimes.last, lastTime > last + margin {
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
            for segment in plan.segments where try !emitSegment(segment) { break }
            var warnings: [String] = []
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
                warnings.append(cutShort
                    ? String(format: "truncated: decoded %.1f s of %.1f s; only that part is indexed", decodedEnd, duration)
                    : String(format: "the video stream ends at %.1f s of the file's %.1f s; indexed to its end", decodedEnd, duration))
            }
            if decoder.corruptPackets > 0 {
                warnings.append("\(decoder.corruptPackets) damaged packets or frames skipped; the rest was indexed")
            }
            emit(.end(file: file, segments: emitted.count, warnings: warnings, partial: cutShort))
        } catch let error as DecodeError {
            emit(.failed(file: file, error))
        } catch {
            emit(.failed(file: file, DecodeError(path: path, reason: "\(error)")))
        }
    }
}
