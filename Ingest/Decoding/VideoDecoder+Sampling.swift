import CFFmpeg
import Foundation

/// Seeking: the frames on screen at wanted times, and seeks over long gaps between them.
extension VideoDecoder {
    /// The frames on screen at each of `times` (ascending seconds; calls may follow one another):
    /// for each time, the last frame
    /// whose presentation time is at or before it (the first frame for times before it; the last
    /// frame for times past the end). Only chosen frames are converted to RGB. Where the next
    /// wanted time is more than `seekThreshold` seconds ahead, the decoder seeks instead of
    /// decoding every frame in between.
    public func sample(times: [Double], seekThreshold: Double = .infinity) throws -> [DecodedFrame] {
        guard !times.isEmpty else { return [] }
        precondition(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "times must ascend")
        // Successive calls continue where the last one stopped; a time before that needs a seek back.
        if let h = heldTime, times[0] < h - 1e-9 { try seek(to: times[0]) }
        var results: [DecodedFrame] = []
        results.reserveCapacity(times.count)
        func pickHeld() {
            if heldImage == nil { heldImage = convert(held!).rotated(clockwiseDegrees: info.rotation) }
            results.append(DecodedFrame(time: heldTime!, image: heldImage!))
        }
        // Frames on screen at none of these times need not be decoded (see `skippable`).
        wantedTimes = times
        defer { wantedTimes = [] }
        var i = 0
        var lastSeek = -Double.infinity
        while i < times.count {
            // Seek at most once per target: the keyframe it lands on may still be far before it.
            if let t = heldTime, times[i] - t > seekThreshold, times[i] > lastSeek {
                try seek(to: times[i])
                lastSeek = times[i]
            }
            guard let t = try nextRawFrame() else {
                // End of stream: the last frame stays on screen.
                guard heldTime != nil else { break }
                while i < times.count {
                    pickHeld()
                    i += 1
                }
                break
            }
            if t > times[i] + 1e-9 {
                if heldTime == nil {
                    // Nothing earlier: the first frame stands for times before it.
                    swap(&held, &frame)
                    heldTime = t
                    heldImage = nil
                    while i < times.count && times[i] < t + 1e-9 {
                        pickHeld()
                        i += 1
                    }
                    continue
                }
                while i < times.count && times[i] < t - 1e-9 {
                    pickHeld()
                    i += 1
                }
            }
            swap(&held, &frame)
            heldTime = t
            heldImage = nil
        }
        if results.count < times.count {
            throw DecodeError(path: path, reason: "no decodable video frames")
        }
        return results
    }

    /// Seeks so that the next frames returned are at or just before `seconds`.
    public func seek(to seconds: Double) throws {
        guard let format, let codec else { return }
        let target = Int64(((seconds + startTime) / timeBase).rounded(.down))
        let code = avformat_seek_file(format, streamIndex, Int64.min, target, target, 0)
        if code < 0 {
            throw DecodeError(path: path, reason: "cannot seek to \(seconds) s (\(DecodeError.message(code)))")
        }
        avcodec_flush_buffers(codec)
        observer?(.jump)
        for p in pending {
            var q: UnsafeMutablePointer<AVPacket>? = p
            av_packet_free(&q)
        }
        pending = []
        sentTimes = []
        draining = false
        finished = false
        lastTime = nil
        heldTime = nil
        heldImage = nil
    }
}
