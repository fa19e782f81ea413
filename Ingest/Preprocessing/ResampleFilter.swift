import Foundation

/// PIL's resampling filters, by the number `preprocessor_config.json` gives as `resample`
/// (PIL.Image.Resampling). Each convolution filter is evaluated as Pillow's Resample.c does, so
/// that the kernel weights, and the 8-bit results, are the reference's.
public enum ResampleFilter: Int, CaseIterable, Sendable {
    case nearest = 0
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5

    public var name: String {
        switch self {
        case .nearest: return "NEAREST"
        case .lanczos: return "LANCZOS"
        case .bilinear: return "BILINEAR"
        case .bicubic: return "BICUBIC"
        case .box: return "BOX"
        case .hamming: return "HAMMING"
        }
    }

    /// Whether vidsearch computes it: PIL's NEAREST is a lookup, not a convolution, and no CLIP or
    /// X-CLIP processor uses it.
    public var isImplemented: Bool { self != .nearest }

    /// Half the kernel's width at scale 1 (it widens by the downscale factor).
    var support: Double {
        switch self {
        case .nearest, .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The kernel at distance x (in input pixels at scale 1).
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest, .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let t = abs(x)
            return t < 1 ? 1 - t : 0
        case .hamming:
            let t = abs(x)
            if t == 0 { return 1 }
            if t >= 1 { return 0 }
            let p = t * Double.pi
            // Pillow writes these two constants as C floats.
            return sin(p) / p * (Double(Float(0.54)) + Double(Float(0.46)) * cos(p))
        case .bicubic:
            // Keys' cubic convolution with a = -0.5.
            let a = -0.5, t = abs(x)
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos:
            guard x >= -3 && x < 3 else { return 0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let p = x * Double.pi
        return sin(p) / p
    }
}
