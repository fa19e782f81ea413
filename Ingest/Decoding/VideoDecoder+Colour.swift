import CFFmpeg
import Foundation

/// Colour conversion: a decoded frame as RGB24 with its own colour matrix and range.
extension VideoDecoder {
    /// The current frame as upright-to-be RGB24 at its own size (resampling is ours, not swscale's).
    func convert(_ frame: UnsafeMutablePointer<AVFrame>) -> RGBImage {
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
            scaler = sws_getContext(
                Int32(w), Int32(h), AVPixelFormat(fmt), Int32(w), Int32(h), AV_PIX_FMT_RGB24,
                fastColourConversion ? SWS_BILINEAR : SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil)
            // RGB output is full range; the table of the destination does not matter for RGB.
            sws_setColorspaceDetails(
                scaler, sws_getCoefficients(matrix), fullRange, sws_getCoefficients(SWS_CS_DEFAULT), 1,
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
