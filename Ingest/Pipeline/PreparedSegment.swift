import Tensor
import VideoIndex

/// One segment decoded and preprocessed, waiting for the model.
struct PreparedSegment {
    let record: SegmentRecord
    /// [frames, channels, size, size], normalized.
    let pixels: [Float]
    let thumbnail: [UInt8]
}

/// What the decoding thread hands the model thread, in order.
enum PipelineItem {
    case begin(file: Int, info: VideoInfo, segments: Int)
    case segment(file: Int, PreparedSegment)
    /// The file's last segment has been sent: `segments` in all (fewer than `begin` announced when
    /// the file turned out shorter than its header says); `warnings` holds recoverable damage, and
    /// `partial` says part of the file could not be indexed.
    /// `cuts`: the shot boundaries found, nil where cut detection was off.
    case end(file: Int, segments: Int, warnings: [String], partial: Bool, cuts: [Double]?)
    case failed(file: Int, DecodeError)
}
