import CFFmpeg

/// Reads a decoded frame's LumaSignature. Planar and semi-planar YUV and grey frames (nearly every
/// video) are read in place from their luma plane, 2,304 samples, and 8-bit YUV also from its
/// chroma planes at the same points; any other layout is first scaled to a small grey picture by
/// libswscale (one context, kept while the frame format stays), and is compared by brightness only.
final class LumaReader {
    private var scaler: OpaquePointer?
    private var scalerKey: (width: Int32, height: Int32, format: Int32)?
    private static let smallWidth = LumaSignature.columns * LumaSignature.samplesPerSide
    private static let smallHeight = LumaSignature.rows * LumaSignature.samplesPerSide
    private var small = [UInt8](repeating: 0, count: smallWidth * smallHeight)

    deinit { if let scaler { sws_freeContext(scaler) } }

    func signature(_ frame: UnsafeMutablePointer<AVFrame>) -> LumaSignature? {
        let w = Int(frame.pointee.width), h = Int(frame.pointee.height)
        guard w > 0, h > 0 else { return nil }
        let depth = Int(vs_luma_plane_depth(frame.pointee.format))
        if depth > 0, let plane = frame.pointee.data.0 {
            let stride = Int(frame.pointee.linesize.0)
            if depth <= 8 {
                return LumaSignature(width: w, height: h, luma: { x, y in Int(plane[y * stride + x]) }, chroma: chroma(frame))
            }
            let shift = depth - 8
            return LumaSignature(width: w, height: h) { x, y in
                let at = plane + y * stride + 2 * x
                return (Int(at[0]) | Int(at[1]) << 8) >> shift
            }
        }
        return converted(frame, width: w, height: h)
    }

    /// Reads (U, V) at a luma pixel's position, for a format vs_chroma_layout_of knows; nil otherwise.
    private func chroma(_ frame: UnsafeMutablePointer<AVFrame>) -> ((Int, Int) -> (u: Int, v: Int))? {
        var layout = vs_chroma_layout()
        guard vs_chroma_layout_of(frame.pointee.format, &layout) == 1 else { return nil }
        let planes = [frame.pointee.data.1, frame.pointee.data.2], strides = [frame.pointee.linesize.1, frame.pointee.linesize.2]
        let iu = Int(layout.plane.0) - 1, iv = Int(layout.plane.1) - 1
        guard let u = planes[iu], let v = planes[iv] else { return nil }
        let (su, sv) = (Int(strides[iu]), Int(strides[iv]))
        let (stepU, stepV, offU, offV) = (Int(layout.step.0), Int(layout.step.1), Int(layout.offset.0), Int(layout.offset.1))
        let (shiftX, shiftY) = (Int(layout.shift_x), Int(layout.shift_y))
        return { x, y in
            let (cx, cy) = (x >> shiftX, y >> shiftY)
            return (Int(u[cy * su + cx * stepU + offU]), Int(v[cy * sv + cx * stepV + offV]))
        }
    }

    private func converted(_ frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int) -> LumaSignature? {
        let key = (width: Int32(width), height: Int32(height), format: frame.pointee.format)
        if scaler == nil || scalerKey.map({ $0 != key }) ?? true {
            if let scaler { sws_freeContext(scaler) }
            scaler = sws_getContext(
                key.width, key.height, AVPixelFormat(key.format), Int32(Self.smallWidth), Int32(Self.smallHeight),
                AV_PIX_FMT_GRAY8, SWS_POINT, nil, nil, nil)
            scalerKey = key
        }
        guard let scaler else { return nil }
        let done: Int32 = small.withUnsafeMutableBufferPointer { buffer in
            var dst: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
            var dstStride: [Int32] = [Int32(Self.smallWidth), 0, 0, 0]
            let src = withUnsafePointer(to: &frame.pointee.data) {
                $0.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { Array(UnsafeBufferPointer(start: $0, count: 8)) }
            }
            let srcStride = withUnsafePointer(to: &frame.pointee.linesize) {
                $0.withMemoryRebound(to: Int32.self, capacity: 8) { Array(UnsafeBufferPointer(start: $0, count: 8)) }
            }
            return sws_scale(scaler, src, srcStride, 0, key.height, &dst, &dstStride)
        }
        guard done > 0 else { return nil }
        return LumaSignature(width: Self.smallWidth, height: Self.smallHeight) { x, y in Int(small[y * Self.smallWidth + x]) }
    }
}
