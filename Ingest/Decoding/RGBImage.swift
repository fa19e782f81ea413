/// An 8-bit RGB image, rows top to bottom, pixels interleaved (H x W x 3).
public struct RGBImage: Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGB buffer of \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The image turned clockwise by a multiple of 90 degrees (display rotation).
    public func rotated(clockwiseDegrees degrees: Int) -> RGBImage {
        let turns = ((degrees / 90) % 4 + 4) % 4
        if turns == 0 { return self }
        let outW = turns == 2 ? width : height
        let outH = turns == 2 ? height : width
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    for x in 0..<width {
                        let (ox, oy): (Int, Int)
                        switch turns {
                        case 1: (ox, oy) = (height - 1 - y, x)
                        case 2: (ox, oy) = (width - 1 - x, height - 1 - y)
                        default: (ox, oy) = (y, width - 1 - x)
                        }
                        let s = (y * width + x) * 3
                        let d = (oy * outW + ox) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }
}
