import CFFmpeg
import Foundation

/// Decodes the best video stream of a file forward, frame by frame, with seeking.
/// Holds one frame at a time; the whole video is never in memory.
public final class VideoDecoder {
    public let path: String
    public let info: VideoInfo
    /// Frames FFmpeg reported as damaged and skipped so far.
    public internal(set) var corruptPackets = 0

    var format: UnsafeMutablePointer<AVFormatContext>?
    var codec: UnsafeMutablePointer<AVCodecContext>?
    let streamIndex: Int32
    let timeBase: Double
    let startTime: Double
    var frame: UnsafeMutablePointer<AVFrame>?
    /// The frame before `frame` while sampling: the one on screen until `frame` replaces it.
    var held: UnsafeMutablePointer<AVFrame>?
    var heldTime: Double?
    /// The RGB conversion of `held`, made once however many sampled times pick it.
    var heldImage: RGBImage?
    var packet: UnsafeMutablePointer<AVPacket>?
    var scaler: OpaquePointer?
    struct ScalerKey: Equatable { let width: Int, height: Int, format: Int, matrix: Int32, fullRange: Int32, fast: Bool }
    var scalerKey: ScalerKey?
    var draining = false
    var finished = false
    var lastTime: Double?
    /// The latest presentation time decoded so far (kept across seeks) and whether decoding has
    /// reached the stream's real end: together, how much of the file there really is.
    public internal(set) var furthestFrameTime: Double?
    public var reachedEnd: Bool { finished }
    /// The latest time of any packet read, of any stream: how far the file's data really goes.
    /// Audio that outlasts the video reaches the end of a whole file; a file cut short does not.
    public internal(set) var furthestPacketTime: Double?

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
    public internal(set) var decodedFrames = 0

    /// What the cut detector sees: each decoded frame's look, in presentation order, and a jump
    /// after every seek (the next frame does not follow the last one). nil: nothing is computed.
    public enum Observation {
        case frame(time: Double, luma: LumaSignature)
        case jump
    }
    public var observer: ((Observation) -> Void)?
    lazy var lumaReader = LumaReader()

    /// Packets of the video stream read ahead of the decoder, in decoding order: with B-frames a
    /// frame's successor on screen is among the next few packets, and its time says how long the
    /// frame stays on screen, so whether any wanted time falls on it (see `skippable`).
    var pending: [UnsafeMutablePointer<AVPacket>] = []
    static let lookahead = 16
    /// Presentation times of the packets sent since the last seek (the latest few) and of `pending`.
    var sentTimes: [Double] = []
    /// The times `sample` is fetching now; empty outside it (nothing is dropped then).
    var wantedTimes: [Double] = []
    /// Only codecs whose decoders drop non-reference frames, and only while every packet has a time.
    let canSkip: Bool
    var packetTimesKnown = true

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
            throw DecodeError(
                path: path,
                reason: index == vs_averror_decoder_not_found()
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
        info = VideoInfo(
            codec: codecName,
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
        for p in pending {
            var q: UnsafeMutablePointer<AVPacket>? = p
            av_packet_free(&q)
        }
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
            size >= 9 * MemoryLayout<Int32>.size
        else { return 0 }
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

    func nextRawFrame() throws -> Double? {
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

    /// Presentation time in seconds from the file's start; extrapolated where missing.
    func frameTime(_ frame: UnsafeMutablePointer<AVFrame>) -> Double {
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
}
