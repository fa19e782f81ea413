/// Turns a decoded RGB frame into the model's input, as the Hugging Face processor does:
/// short side to `shortestEdge` (long side truncated), centre crop, scale, normalize, channels first.
public struct FramePreprocessor {
    public let configuration: PreprocessorConfiguration

    public init(_ configuration: PreprocessorConfiguration) {
        self.configuration = configuration
    }

    /// Output size (height, width) of one frame.
    public var outputHeight: Int { configuration.centerCrop ? configuration.cropHeight : configuration.shortestEdge }
    public var outputWidth: Int { configuration.centerCrop ? configuration.cropWidth : configuration.shortestEdge }
    public var valuesPerFrame: Int { 3 * outputHeight * outputWidth }

    /// The resized (not yet cropped) size: short side to the target, long side scaled and truncated
    /// (or the configuration's exact size).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        guard configuration.resize else { return (width, height) }
        if let exact = configuration.exactSize { return (exact.width, exact.height) }
        let target = configuration.shortestEdge
        if width <= height {
            return (target, max(1, Int(Double(target) * Double(height) / Double(width))))
        }
        return (max(1, Int(Double(target) * Double(width) / Double(height))), target)
    }

    /// A segment's sampled images, one after another: [images, 3, height, width].
    public func process(_ images: [RGBImage]) -> [Float] {
        var pixels = [Float](repeating: 0, count: images.count * valuesPerFrame)
        pixels.withUnsafeMutableBufferPointer { buffer in
            for (i, image) in images.enumerated() { process(image, into: buffer.baseAddress! + i * valuesPerFrame) }
        }
        return pixels
    }

    /// The frame as channel-first normalized floats written to `output` (valuesPerFrame floats).
    public func process(_ image: RGBImage, into output: UnsafeMutablePointer<Float>) {
        let (rw, rh) = resizedSize(width: image.width, height: image.height)
        let resized = Resampler.resize(image, width: rw, height: rh, filter: configuration.resample)
        let oh = outputHeight, ow = outputWidth
        // Centre crop (padding with zeros if the image is smaller, as the reference does).
        let top = (rh - oh) / 2, left = (rw - ow) / 2
        let c = configuration
        let scale = c.rescale ? c.rescaleFactor : 1
        var multiply = [Float](repeating: scale, count: 3), add = [Float](repeating: 0, count: 3)
        if c.normalize {
            for ch in 0..<3 {
                multiply[ch] = scale / c.std[ch]
                add[ch] = -c.mean[ch] / c.std[ch]
            }
        }
        resized.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<oh {
                let sy = y + top
                for x in 0..<ow {
                    let sx = x + left
                    let inside = sy >= 0 && sy < rh && sx >= 0 && sx < rw
                    for ch in 0..<3 {
                        let value: Float = inside ? Float(pixels[(sy * rw + sx) * 3 + ch]) : 0
                        output[(ch * oh + y) * ow + x] = value * multiply[ch] + add[ch]
                    }
                }
            }
        }
    }
}
