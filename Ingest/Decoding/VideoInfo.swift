import CFFmpeg
import Foundation

/// Facts about a video's best stream.
public struct VideoInfo: Equatable {
    public var codec: String
    /// Size as displayed, after the rotation is applied.
    public var width: Int
    public var height: Int
    /// Clockwise turn that makes the stored frames upright (0, 90, 180, 270).
    public var rotation: Int
    /// Seconds from the first to the end of the last frame; 0 when the container does not say.
    public var duration: Double
    /// Average frame rate, 0 when unknown.
    public var frameRate: Double
    /// When it was recorded: the container's creation_time (seconds since 1970), nil when absent.
    public var creationTime: Double? = nil
}

/// One decoded frame: upright RGB and its presentation time in seconds from the file's start.
public struct DecodedFrame {
    public var time: Double
    public var image: RGBImage
}
