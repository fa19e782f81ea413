/// A frame made small enough for a thumbnail, cheaply: shot-aware segmenting keeps one for every
/// sampled frame (which of them is a window's middle is known only once the next cut is), so it
/// must cost little beside decoding. Each block of `factor` x `factor` pixels is averaged over a
/// 2 x 2 (or finer) lattice of its pixels (an area filter that reads a few pixels a block, not all
/// of them), then the antialiased Resampler takes the small picture the rest of the way to
/// ThumbnailEncoder.maxWidth.
enum ThumbnailSource {
    static func reduce(_ image: RGBImage) -> RGBImage {
        let limit = ThumbnailEncoder.maxWidth
        guard image.width > limit else { return image }
        let factor = image.width / limit
        var small = image
        if factor >= 2 {
            let w = image.width / factor, h = max(1, image.height / factor)
            var out = [UInt8](repeating: 0, count: w * h * 3)
            var sums = [UInt32](repeating: 0, count: w * 3)
            // Read every `hop`-th row and column of a block: at most about 2 x 2 reads per block.
            let hop = max(1, factor / 2), taps = (factor + hop - 1) / hop
            let area = UInt32(taps * taps), half = area / 2
            image.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    sums.withUnsafeMutableBufferPointer { sum in
                        for y in 0..<h {
                            for i in 0..<sum.count { sum[i] = 0 }
                            for dy in stride(from: hop / 2, to: factor, by: hop) {
                                let row = src.baseAddress! + min(image.height - 1, y * factor + dy) * image.width * 3
                                for x in 0..<w {
                                    var r: UInt32 = 0, g: UInt32 = 0, b: UInt32 = 0
                                    var p = row + (x * factor + hop / 2) * 3
                                    for _ in 0..<taps {
                                        r += UInt32(p[0])
                                        g += UInt32(p[1])
                                        b += UInt32(p[2])
                                        p += 3 * hop
                                    }
                                    sum[3 * x] += r
                                    sum[3 * x + 1] += g
                                    sum[3 * x + 2] += b
                                }
                            }
                            let line = dst.baseAddress! + y * w * 3
                            for i in 0..<(w * 3) { line[i] = UInt8((sum[i] + half) / area) }
                        }
                    }
                }
            }
            small = RGBImage(width: w, height: h, pixels: out)
        }
        guard small.width > limit else { return small }
        return Resampler.resize(small, width: limit, height: max(2, small.height * limit / small.width))
    }
}
