import CFFmpeg
import Foundation

/// Cuts a time range of a video into a small H.264 MP4 that every browser plays (for footage
/// in formats they do not: MPEG-2, ProRes, AVI...): decoded with the ingest decoder (upright),
/// scaled to at most `maxWidth`, encoded with libx264 (veryfast, CRF 23), video only,
/// `faststart` so playback starts before the file has arrived. Written under a temporary name
/// and renamed: a reader never sees half a file.
public enum ClipWriter {
    public struct ClipError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "cannot cut the clip: \(reason)" }
    }

    public static func write(source: String, start: Double, end: Double, to output: String, maxWidth: Int = 1280) throws {
        guard end > start else { throw ClipError(reason: "an empty time range") }
        let decoder = try VideoDecoder(path: source)
        try decoder.seek(to: start)
        let staging = output + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(staging) }
        var encoder: Encoder?
        while let frame = try decoder.nextFrame() {
            if frame.time < start - 0.001 { continue }
            if frame.time >= end { break }
            if encoder == nil {
                encoder = try Encoder(
                    path: staging, width: frame.image.width, height: frame.image.height, maxWidth: maxWidth,
                    frameRate: decoder.info.frameRate > 0 ? decoder.info.frameRate : 25)
            }
            try encoder!.add(frame.image, time: frame.time - start)
        }
        guard let encoder else { throw ClipError(reason: "no frames between \(start) s and \(end) s") }
        try encoder.finish()
        guard rename(staging, output) == 0 else { throw ClipError(reason: "rename: \(String(cString: strerror(errno)))") }
    }

    /// One libx264 stream in an MP4 file.
    final class Encoder {
        private var format: UnsafeMutablePointer<AVFormatContext>?
        private var codec: UnsafeMutablePointer<AVCodecContext>?
        private var frame: UnsafeMutablePointer<AVFrame>?
        private var packet: UnsafeMutablePointer<AVPacket>?
        private var scaler: OpaquePointer?
        private let stream: UnsafeMutablePointer<AVStream>
        private let sourceWidth: Int, sourceHeight: Int
        private var lastPts: Int64 = -1
        /// One frame's time in milliseconds: each packet says it, or MP4's edit list ends the
        /// track at the last frame's start and players drop that frame.
        private var frameMilliseconds: Int64 = 40

        init(path: String, width: Int, height: Int, maxWidth: Int, frameRate: Double) throws {
            sourceWidth = width
            sourceHeight = height
            // Even sizes (4:2:0), at most maxWidth wide.
            let scale = min(1, Double(maxWidth) / Double(width))
            let outWidth = max(2, Int(Double(width) * scale) / 2 * 2), outHeight = max(2, Int(Double(height) * scale) / 2 * 2)

            guard let h264 = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder(AV_CODEC_ID_H264) else {
                throw ClipError(reason: "this FFmpeg has no H.264 encoder")
            }
            var fmt: UnsafeMutablePointer<AVFormatContext>?
            guard avformat_alloc_output_context2(&fmt, nil, "mp4", path) >= 0, let fmt else { throw ClipError(reason: "no MP4 muxer") }
            format = fmt
            guard let st = avformat_new_stream(fmt, nil), let ctx = avcodec_alloc_context3(h264) else { throw ClipError(reason: "out of memory") }
            stream = st
            codec = ctx
            ctx.pointee.width = Int32(outWidth)
            ctx.pointee.height = Int32(outHeight)
            ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            ctx.pointee.time_base = AVRational(num: 1, den: 1000)  // milliseconds: any frame rate, variable too
            let fps = Int32(min(120, max(1, frameRate.rounded())))
            frameMilliseconds = Int64(max(1, (1000 / Double(fps)).rounded()))
            ctx.pointee.framerate = AVRational(num: fps, den: 1)
            ctx.pointee.gop_size = fps * 2
            ctx.pointee.thread_count = 1
            if fmt.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
            if let priv = ctx.pointee.priv_data {
                av_opt_set(priv, "preset", "veryfast", 0)
                av_opt_set(priv, "crf", "23", 0)
            }
            var code = avcodec_open2(ctx, h264, nil)
            guard code >= 0 else { throw ClipError(reason: "cannot open the encoder (\(DecodeError.message(code)))") }
            guard avcodec_parameters_from_context(st.pointee.codecpar, ctx) >= 0 else { throw ClipError(reason: "codec parameters") }
            st.pointee.time_base = ctx.pointee.time_base
            code = avio_open(&fmt.pointee.pb, path, AVIO_FLAG_WRITE)
            guard code >= 0 else { throw ClipError(reason: "cannot write \(path) (\(DecodeError.message(code)))") }
            var options: OpaquePointer?
            av_dict_set(&options, "movflags", "+faststart", 0)
            code = avformat_write_header(fmt, &options)
            av_dict_free(&options)
            guard code >= 0 else { throw ClipError(reason: "cannot write the MP4 header (\(DecodeError.message(code)))") }

            guard let f = av_frame_alloc(), let p = av_packet_alloc() else { throw ClipError(reason: "out of memory") }
            frame = f
            packet = p
            f.pointee.format = AV_PIX_FMT_YUV420P.rawValue
            f.pointee.width = Int32(outWidth)
            f.pointee.height = Int32(outHeight)
            guard av_frame_get_buffer(f, 32) >= 0 else { throw ClipError(reason: "out of memory") }
            scaler = sws_getContext(
                Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(outWidth), Int32(outHeight), AV_PIX_FMT_YUV420P,
                SWS_BILINEAR, nil, nil, nil)
            guard scaler != nil else { throw ClipError(reason: "no scaler for \(width)x\(height)") }
        }

        deinit {
            av_frame_free(&frame)
            av_packet_free(&packet)
            avcodec_free_context(&codec)
            if let scaler { sws_freeContext(scaler) }
            if let format {
                if format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
                avformat_free_context(format)
            }
        }

        func add(_ image: RGBImage, time: Double) throws {
            guard let frame, let codec, image.width == sourceWidth, image.height == sourceHeight else { return }
            guard av_frame_make_writable(frame) >= 0 else { throw ClipError(reason: "frame buffer") }
            image.pixels.withUnsafeBufferPointer { pixels in
                var source: [UnsafePointer<UInt8>?] = [pixels.baseAddress, nil, nil, nil]
                var stride: [Int32] = [Int32(image.width * 3), 0, 0, 0]
                withUnsafeMutablePointer(to: &frame.pointee.data) { data in
                    withUnsafeMutablePointer(to: &frame.pointee.linesize) { lines in
                        data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { planes in
                            lines.withMemoryRebound(to: Int32.self, capacity: 8) { sizes in
                                _ = sws_scale(scaler, &source, &stride, 0, Int32(image.height), planes, sizes)
                            }
                        }
                    }
                }
            }
            // Strictly increasing timestamps, in milliseconds.
            let pts = max(lastPts + 1, Int64((time * 1000).rounded()))
            lastPts = pts
            frame.pointee.pts = pts
            try send(frame, codec)
        }

        func finish() throws {
            guard let codec, let format else { return }
            try send(nil, codec)
            guard av_write_trailer(format) >= 0 else { throw ClipError(reason: "cannot finish the MP4") }
            avio_closep(&format.pointee.pb)
        }

        private func send(_ frame: UnsafeMutablePointer<AVFrame>?, _ codec: UnsafeMutablePointer<AVCodecContext>) throws {
            guard let packet, let format else { return }
            var code = avcodec_send_frame(codec, frame)
            guard code >= 0 else { throw ClipError(reason: "encoding (\(DecodeError.message(code)))") }
            while true {
                code = avcodec_receive_packet(codec, packet)
                if code == vs_averror_eagain() || code == vs_averror_eof() { return }
                guard code >= 0 else { throw ClipError(reason: "encoding (\(DecodeError.message(code)))") }
                if packet.pointee.duration <= 0 { packet.pointee.duration = frameMilliseconds }
                av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
                packet.pointee.stream_index = stream.pointee.index
                code = av_interleaved_write_frame(format, packet)
                guard code >= 0 else { throw ClipError(reason: "writing (\(DecodeError.message(code)))") }
            }
        }
    }
}
