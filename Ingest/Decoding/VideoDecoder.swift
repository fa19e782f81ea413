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

/// Decodes the best video stream of a file forward, frame by frame, with seeking.
/// Holds one frame at a time; the whole video is never in memory.
public final class VideoDecoder {
    public let path: String
    public let info: VideoInfo
    /// Frames FFmpeg reported as damaged and skipped so far.
    public private(set) var corruptPackets = 0

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let streamIndex: Int32
    private let timeBase: Double
    private let startTime: Double
    private var frame: UnsafeMutablePointer<AVFrame>?
    /// The frame before `frame` while sampling: the one on screen until `frame` replaces it.
    private var held: UnsafeMutablePointer<AVFrame>?
    private var heldTime: Double?
    /// The RGB conversion of `held`, made once however many sampled times pick it.
    private var heldImage: RGBImage?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private struct ScalerKey: Equatable { let width: Int, height: Int, format: Int, matrix: Int32, fullRange: Int32, fast: Bool }
    private var scalerKey: ScalerKey?
    private var draining = false
    private var finished = false
    private var lastTime: Double?
    /// The latest presentation time decoded so far (kept across seeks) and whether decoding has
    /// reached the stream's real end: together, how much of the file there really is.
    public private(set) var furthestFrameTime: Double?
    public var reachedEnd: Bool { finished }
    /// The latest time of any packet read, of any stream: how far the file's data really goes.
    /// Audio that outlasts the video reaches the end of a whole file; a file cut short does not.
    public private(set) var furthestPacketTime: Double?

    /// Whether `sample` lets the decoder drop the frames nothing refers to (H.264/HEVC non-reference
    /// frames) that are on screen at none of the wanted times. Exact: the frames it returns are the
    /// same, bit for bit; only frames that would never be picked are left undecoded.
    public var skipsUnneededFrames = true

    /// Whether frames on screen at none of the wanted times and far from the next one also skip
    /// H.264/HEVC's loop (deblocking) filter. Faster, but frames that are references carry the unfiltered edges on
    /// to the sampled ones: BENCHMARKS.md (ingest) has its speed and its cosine to exact decoding.
    public var skipLoopFilterWhenFar = false
    /// "Far": no wanted time within this many seconds after the frame's (nearer, its missing edges
    /// would reach the sampled frame through fewer references and weigh more).
    static let loopFilterMargin = 0.5

    /// Colour conversion by libswscale's SIMD path (no accurate rounding, chroma repeated rather
    /// than interpolated). Off: the exact conversion; `bench ingest` measures what it saves and
    /// how far it moves the embeddings.
    public var fastColourConversion = false

    /// Frames the decoder has handed over since the file was opened (dropped frames not counted).
    public private(set) var decodedFrames = 0

    /// What the cut detector sees: each decoded frame's look, in presentation order, and a jump
    /// after every seek (the next frame does not follow the last one). nil: nothing is computed.
    public enum Observation {
        case frame(time: Double, luma: LumaSignature)
        case jump
    }
    public var observer: ((Observation) -> Void)?
    private lazy var lumaReader = LumaReader()

    /// Packets of the video stream read ahead of the decoder, in decoding order: with B-frames a
    /// frame's successor on screen is among the next few packets, and its time says how long the
    /// frame stays on screen, so whether any wanted time falls on it (see `skippable`).
    private var pending: [UnsafeMutablePointer<AVPacket>] = []
    private static let lookahead = 16
    /// Presentation times of the packets sent since the last seek (the latest few) and of `pending`.
    private var sentTimes: [Double] = []
    /// The times `sample` is fetching now; empty outside it (nothing is dropped then).
    private var wantedTimes: [Double] = []
    /// Only codecs whose decoders drop non-reference frames, and only while every packet has a time.
    private let canSkip: Bool
    private var packetTimesKnown = true

    /// Largest frame accepted: anything bigger is taken as a damaged or hostile header.
    public static let maxPixels = 8192 * 8192  // 8K (7680x4320) fits with room

    /// FFmpeg's decoding threads (frame and slice threads) for this file.
    public let threads: Int

    /// Threads for a frame size when none are asked for: one core decodes 720p faster than the
    /// model encodes it beside the decoder; 1080p and larger take longer and get a second thread.
    public static func threads(width: Int, height: Int) -> Int { width * height >= 1920 * 1080 ? 2 : 1 }

    /// `threads`: FFmpeg's decoding threads for this file; 0 picks them by the frame size.
    public init(path: String, threads: Int = 1) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw DecodeError(path: path, reason: "no such file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw DecodeError(path: path, reason: "permission denied")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0 {
            throw DecodeError(path: path, reason: "empty file (0 bytes)")
        }
        av_log_set_level(AV_LOG_QUIET)

        var openedFormat: UnsafeMutablePointer<AVFormatContext>?
        var code = avformat_open_input(&openedFormat, path, nil, nil)
        guard code >= 0, let fmt = openedFormat else {
            throw DecodeError(path: path, reason: "not a video FFmpeg can read (\(DecodeError.message(code)))")
        }
        var opened = false
        defer { if !opened { avformat_close_input(&openedFormat) } }

        code = avformat_find_stream_info(fmt, nil)
        guard code >= 0 else {
            throw DecodeError(path: path, reason: "cannot read stream information (\(DecodeError.message(code)))")
        }
        // Cover art (a still picture attached to a song) is a video stream by type but not a video.
        var moving: Int32 = -1, covers = 0
        for i in 0..<Int(fmt.pointee.nb_streams) {
            guard let st = fmt.pointee.streams[i], st.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO else { continue }
            if st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 { covers += 1 } else if moving < 0 { moving = Int32(i) }
        }
        guard moving >= 0 else {
            throw DecodeError(path: path, reason: covers > 0 ? "no video stream (only cover art, which is not a video)" : "no video stream")
        }
        var decoder: UnsafePointer<AVCodec>?
        var index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        if index >= 0, fmt.pointee.streams[Int(index)]!.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 {
            index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, moving, -1, &decoder, 0)
        }
        guard index >= 0, let decoder else {
            throw DecodeError(path: path, reason: index == vs_averror_decoder_not_found()
                              ? "no decoder for the video stream" : "no video stream")
        }
        streamIndex = index
        let stream = fmt.pointee.streams[Int(index)]!
        let params = stream.pointee.codecpar!
        let codedW = Int(params.pointee.width), codedH = Int(params.pointee.height)
        guard codedW > 0, codedH > 0, codedW * codedH <= VideoDecoder.maxPixels else {
            throw DecodeError(path: path, reason: "implausible frame size \(codedW)x\(codedH)")
        }

        var openedCodec = avcodec_alloc_context3(decoder)
        guard let ctx = openedCodec else {
            throw DecodeError(path: path, reason: "out of memory")
        }
        defer { if !opened { avcodec_free_context(&openedCodec) } }
        code = avcodec_parameters_to_context(ctx, params)
        guard code >= 0 else { throw DecodeError(path: path, reason: "bad codec parameters (\(DecodeError.message(code)))") }
        self.threads = threads > 0 ? threads : Self.threads(width: codedW, height: codedH)
        ctx.pointee.thread_count = Int32(self.threads)
        if self.threads > 1 { ctx.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE }
        code = avcodec_open2(ctx, decoder, nil)
        guard code >= 0 else { throw DecodeError(path: path, reason: "cannot open decoder (\(DecodeError.message(code)))") }

        timeBase = av_q2d(stream.pointee.time_base)
        startTime = fmt.pointee.start_time == vs_av_nopts_value() ? 0 : Double(fmt.pointee.start_time) / Double(AV_TIME_BASE)

        let rotation = VideoDecoder.rotation(of: stream)
        var duration = 0.0
        if fmt.pointee.duration != vs_av_nopts_value() && fmt.pointee.duration > 0 {
            duration = Double(fmt.pointee.duration) / Double(AV_TIME_BASE)
        } else if stream.pointee.duration != vs_av_nopts_value() && stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * timeBase
        }
        let rate = stream.pointee.avg_frame_rate.den != 0 ? av_q2d(stream.pointee.avg_frame_rate) : 0
        let codecName = String(cString: decoder.pointee.name)
        info = VideoInfo(codec: codecName,
                         width: rotation % 180 == 0 ? codedW : codedH,
                         height: rotation % 180 == 0 ? codedH : codedW,
                         rotation: rotation, duration: duration, frameRate: rate.isFinite ? rate : 0,
                         creationTime: VideoDecoder.creationTime(fmt, stream))
        format = fmt
        codec = ctx
        canSkip = codecName == "h264" || codecName == "hevc"
        frame = av_frame_alloc()
        held = av_frame_alloc()
        packet = av_packet_alloc()
        opened = true
    }

    deinit {
        av_frame_free(&frame)
        av_frame_free(&held)
        av_packet_free(&packet)
        for p in pending { var q: UnsafeMutablePointer<AVPacket>? = p; av_packet_free(&q) }
        if let scaler { sws_freeContext(scaler) }
        avcodec_free_context(&codec)
        avformat_close_input(&format)
    }

    /// The container's (or else the stream's) creation_time tag, ISO 8601 as FFmpeg writes it.
    private static func creationTime(_ fmt: UnsafeMutablePointer<AVFormatContext>, _ stream: UnsafeMutablePointer<AVStream>) -> Double? {
        for dictionary in [fmt.pointee.metadata, stream.pointee.metadata] {
            guard let entry = av_dict_get(dictionary, "creation_time", nil, 0), let value = entry.pointee.value else { continue }
            if let seconds = RecordingDate.parse(String(cString: value)) { return seconds }
        }
        return nil
    }

    /// The clockwise turn from the stream's display matrix, as FFmpeg's own tools apply it.
    private static func rotation(of stream: UnsafeMutablePointer<AVStream>) -> Int {
        var size: Int = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size),
              size >= 9 * MemoryLayout<Int32>.size else { return 0 }
        let angle = av_display_rotation_get(UnsafeRawPointer(data).assumingMemoryBound(to: Int32.self))
        guard angle.isFinite else { return 0 }
        let clockwise = Int((-angle).rounded())
        return ((clockwise % 360) + 360) % 360 / 90 * 90
    }

    /// The next frame in presentation order, or nil at the end of the stream.
    public func nextFrame() throws -> DecodedFrame? {
        guard let time = try nextRawFrame() else { return nil }
        return DecodedFrame(time: time, image: convert(frame!).rotated(clockwiseDegrees: info.rotation))
    }

    /// Advances to the next frame without converting it; returns its time. Cheap skipping.
    public func skipFrame() throws -> Double? {
        try nextRawFrame()
    }

    private func nextRawFrame() throws -> Double? {
        guard let codec, let frame, let packet, let format else { return nil }
        while !finished {
            let code = avcodec_receive_frame(codec, frame)
            if code == 0 {
                decodedFrames += 1
                // Concealed damage: the decoder hands the frame over but flags it.
                if frame.pointee.decode_error_flags != 0 || frame.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 { corruptPackets += 1 }
                let time = frameTime(frame)
                if let observer, let luma = lumaReader.signature(frame) { observer(.frame(time: time, luma: luma)) }
                return time
            }
            if code == vs_averror_eof() {
                finished = true
                return nil
            }
            if code != vs_averror_eagain() {
                corruptPackets += 1  // a damaged frame: skip it and go on
                continue
            }
            if draining {
                finished = true
                return nil
            }
            // Feed the decoder the next packet of our stream.
            readAhead(format, packet)
            guard !pending.isEmpty else {
                draining = true
                avcodec_send_packet(codec, nil)
                continue
            }
            var next: UnsafeMutablePointer<AVPacket>? = pending.removeFirst()
            let time = packetTime(next!)
            let skip = time.map { skippable($0) } ?? false
            codec.pointee.skip_frame = skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT
            let far = skip && skipLoopFilterWhenFar && !wantedTimes.contains { $0 >= time! - 1e-6 && $0 <= time! + Self.loopFilterMargin }
            codec.pointee.skip_loop_filter = far ? AVDISCARD_ALL : AVDISCARD_DEFAULT
            if let time {
                sentTimes.append(time)
                if sentTimes.count > 2 * Self.lookahead { sentTimes.removeFirst() }
            }
            let sent = avcodec_send_packet(codec, next)
            if sent < 0 && sent != vs_averror_eagain() { corruptPackets += 1 }
            av_packet_free(&next)
        }
        return nil
    }

    /// Reads packets until `pending` holds the lookahead (one packet where nothing is dropped) or
    /// the file ends; notes how far every stream's data goes.
    private func readAhead(_ format: UnsafeMutablePointer<AVFormatContext>, _ packet: UnsafeMutablePointer<AVPacket>) {
        let wanted = canSkip && skipsUnneededFrames ? Self.lookahead : 1
        while pending.count < wanted {
            guard av_read_frame(format, packet) >= 0 else { return }
            if packet.pointee.pts != vs_av_nopts_value(), let stream = format.pointee.streams[Int(packet.pointee.stream_index)] {
                let base = stream.pointee.time_base
                let end = Double(packet.pointee.pts + max(packet.pointee.duration, 0)) * Double(base.num) / Double(max(base.den, 1)) - startTime
                if end > (furthestPacketTime ?? -.infinity) { furthestPacketTime = end }
            }
            guard packet.pointee.stream_index == streamIndex, let kept = av_packet_alloc() else {
                av_packet_unref(packet)
                continue
            }
            if packet.pointee.pts == vs_av_nopts_value() { packetTimesKnown = false }
            av_packet_move_ref(kept, packet)
            pending.append(kept)
        }
    }

    /// A packet's presentation time; nil without one, and for a packet whose frame the decoder
    /// decodes but never shows (AV_PKT_FLAG_DISCARD: before an edit list's start), which is nobody's
    /// successor on screen.
    private func packetTime(_ packet: UnsafeMutablePointer<AVPacket>) -> Double? {
        guard packet.pointee.pts != vs_av_nopts_value(), packet.pointee.flags & AV_PKT_FLAG_DISCARD == 0 else { return nil }
        return Double(packet.pointee.pts) * timeBase - startTime
    }

    /// Whether the frame of a packet shown from `time` is on screen at none of the wanted times, so
    /// that the decoder may drop it if nothing refers to it. It is on screen from its time until the
    /// next frame's (the smallest later time among the packets around it). Kept whenever that
    /// cannot be told: the first frame after opening or seeking (it stands for earlier times), a
    /// frame whose successor is not in sight, one still on screen past the last wanted time (a
    /// later call may want it), and every frame of a stream with packets that carry no time.
    private func skippable(_ time: Double) -> Bool {
        guard canSkip, skipsUnneededFrames, packetTimesKnown, let last = wantedTimes.last else { return false }
        let around = sentTimes + pending.compactMap { packetTime($0) }
        guard around.contains(where: { $0 < time - 1e-9 }),
              let until = around.filter({ $0 > time + 1e-9 }).min(), until <= last else { return false }
        // Kept when a wanted time falls anywhere from its time to its successor's (both ends included).
        return !wantedTimes.contains { $0 >= time - 1e-6 && $0 <= until + 1e-6 }
    }

    /// Presentation time in seconds from the file's start; extrapolated where missing.
    private func frameTime(_ frame: UnsafeMutablePointer<AVFrame>) -> Double {
        let pts = frame.pointee.best_effort_timestamp
        var time: Double
        if pts != vs_av_nopts_value() {
            time = Double(pts) * timeBase - startTime
        } else if let lastTime {
            time = lastTime + (info.frameRate > 0 ? 1 / info.frameRate : 1.0 / 25)
        } else {
            time = 0
        }
        lastTime = time
        if time > (furthestFrameTime ?? -.infinity) { furthestFrameTime = time }
        return time
    }

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
                while i < times.count { pickHeld(); i += 1 }
                break
            }
            if t > times[i] + 1e-9 {
                if heldTime == nil {
                    // Nothing earlier: the first frame stands for times before it.
                    swap(&held, &frame)
                    heldTime = t
                    heldImage = nil
                    while i < times.count && times[i] < t + 1e-9 { pickHeld(); i += 1 }
                    continue
                }
                while i < times.count && times[i] < t - 1e-9 { pickHeld(); i += 1 }
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
        for p in pending { var q: UnsafeMutablePointer<AVPacket>? = p; av_packet_free(&q) }
        pending = []
        sentTimes = []
        draining = false
        finished = false
        lastTime = nil
        heldTime = nil
        heldImage = nil
    }

    /// The current frame as upright-to-be RGB24 at its own size (resampling is ours, not swscale's).
    private func convert(_ frame: UnsafeMutablePointer<AVFrame>) -> RGBImage {
        let w = Int(frame.pointee.width), h = Int(frame.pointee.height)
        let fmt = frame.pointee.format
        // The frame's own colour matrix and range (swscale assumes BT.601, limited range): an HD
        // file flagged BT.709 converted as 601 shifts every colour a little.
        let matrix: Int32
        switch frame.pointee.colorspace {
        case AVCOL_SPC_BT709: matrix = SWS_CS_ITU709
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL: matrix = SWS_CS_BT2020
        case AVCOL_SPC_FCC: matrix = SWS_CS_FCC
        case AVCOL_SPC_SMPTE240M: matrix = SWS_CS_SMPTE240M
        default: matrix = SWS_CS_DEFAULT
        }
        let fullRange: Int32 = frame.pointee.color_range == AVCOL_RANGE_JPEG ? 1 : 0
        let key = ScalerKey(width: w, height: h, format: Int(fmt), matrix: matrix, fullRange: fullRange, fast: fastColourConversion)
        if scaler == nil || scalerKey != key {
            if let scaler { sws_freeContext(scaler) }
            scaler = sws_getContext(Int32(w), Int32(h), AVPixelFormat(fmt), Int32(w), Int32(h), AV_PIX_FMT_RGB24,
                                    fastColourConversion ? SWS_BILINEAR : SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil)
            // RGB output is full range; the table of the destination does not matter for RGB.
            sws_setColorspaceDetails(scaler, sws_getCoefficients(matrix), fullRange, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                     0, 1 << 16, 1 << 16)
            scalerKey = key
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        pixels.withUnsafeMutableBufferPointer { buffer in
            var dst: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
            var stride: [Int32] = [Int32(w * 3), 0, 0, 0]
            let src = withUnsafePointer(to: &frame.pointee.data) {
                $0.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { Array(UnsafeBufferPointer(start: $0, count: 8)) }
            }
            let srcStride = withUnsafePointer(to: &frame.pointee.linesize) {
                $0.withMemoryRebound(to: Int32.self, capacity: 8) { Array(UnsafeBufferPointer(start: $0, count: 8)) }
            }
            sws_scale(scaler, src, srcStride, 0, Int32(h), &dst, &stride)
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}
