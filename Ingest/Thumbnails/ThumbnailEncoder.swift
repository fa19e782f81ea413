import CFFmpeg

/// Small JPEG thumbnails through libavcodec's MJPEG encoder.
public enum ThumbnailEncoder {
    public static let maxWidth = 320
    /// Bytes a stored thumbnail may take: one LMDB overflow page (4,096 bytes less its 16-byte
    /// header). A busy frame at the first step alone takes several pages, a large share of a
    /// segment's whole footprint (what they take now: BENCHMARKS.md, `ingest.thumbnail_bytes`).
    public static let budget = 4080
    /// Width and JPEG qscale tried in turn, largest and finest first.
    static let steps: [(width: Int, quality: Int32)] = [(320, 5), (320, 8), (256, 8), (256, 12), (192, 12), (160, 16)]

    /// The stored thumbnail: the first step whose JPEG fits `budget`, else the last step's.
    public static func thumbnail(_ image: RGBImage, budget: Int = budget) -> [UInt8] {
        var source = image
        if image.width > maxWidth {  // scaled once; the smaller steps scale from this
            source = Resampler.resize(image, width: maxWidth, height: max(2, image.height * maxWidth / image.width))
        }
        var encoded: [UInt8] = []
        for step in steps {
            encoded = jpeg(source, maxWidth: step.width, quality: step.quality)
            if encoded.count <= budget { break }
        }
        return encoded
    }

    /// A JPEG of the image, scaled down (never up) to at most `maxWidth` pixels wide.
    public static func jpeg(_ image: RGBImage, maxWidth: Int = maxWidth, quality: Int32 = 5) -> [UInt8] {
        var source = image
        if image.width > maxWidth {
            let height = max(2, image.height * maxWidth / image.width)
            source = Resampler.resize(image, width: maxWidth, height: height)
        }
        // 4:2:0 wants even sizes; drop an odd last row or column.
        let w = source.width & ~1, h = source.height & ~1
        guard w >= 2, h >= 2, let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else { return [] }
        av_log_set_level(AV_LOG_QUIET)  // as the decoder does: FFmpeg's own log lines are not vidsearch's output
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        guard let ctx = context else { return [] }
        ctx.pointee.width = Int32(w)
        ctx.pointee.height = Int32(h)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
        ctx.pointee.thread_count = 1
        guard avcodec_open2(ctx, codec, nil) >= 0 else { return [] }

        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        defer {
            av_frame_free(&frame)
            av_packet_free(&packet)
        }
        guard let frame, let packet else { return [] }
        frame.pointee.width = Int32(w)
        frame.pointee.height = Int32(h)
        frame.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
        frame.pointee.quality = FF_QP2LAMBDA * quality
        frame.pointee.pts = 0
        guard av_frame_get_buffer(frame, 0) >= 0 else { return [] }

        let scaler = sws_getContext(
            Int32(w), Int32(h), AV_PIX_FMT_RGB24, Int32(w), Int32(h), AV_PIX_FMT_YUVJ420P,
            SWS_BILINEAR, nil, nil, nil)
        defer { sws_freeContext(scaler) }
        source.pixels.withUnsafeBufferPointer { buffer in
            var src: [UnsafePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
            var stride: [Int32] = [Int32(source.width * 3), 0, 0, 0]
            withUnsafeMutablePointer(to: &frame.pointee.data) { data in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                    withUnsafeMutablePointer(to: &frame.pointee.linesize) { lines in
                        lines.withMemoryRebound(to: Int32.self, capacity: 8) { dstStride in
                            _ = sws_scale(scaler, &src, &stride, 0, Int32(h), dst, dstStride)
                        }
                    }
                }
            }
        }
        guard avcodec_send_frame(ctx, frame) >= 0, avcodec_send_frame(ctx, nil) >= 0,
            avcodec_receive_packet(ctx, packet) >= 0
        else { return [] }
        defer { av_packet_unref(packet) }
        return Array(UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
    }
}
