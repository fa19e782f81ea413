import Foundation
import XCLIP

/// preprocessor_config.json of a checkpoint: X-CLIP's processor (VideoMAEImageProcessor) or
/// CLIP's (CLIPImageProcessor), read as their PIL path reads it. Absent fields take the values of
/// the family's official processor; `init()` is X-CLIP's: short side 224 (PIL BILINEAR), centre
/// crop 224x224, scale 1/255, ImageNet mean and std.
public struct PreprocessorConfiguration: Equatable {
    public var resize = true
    /// Target of the short side.
    public var shortestEdge = 224
    /// Resize to exactly this (height, width), ignoring the aspect ratio, where the file gives
    /// `size` as {"height", "width"} (as the processors do); nil: the short side to `shortestEdge`.
    public var exactSize: (height: Int, width: Int)? {
        get { exactHeight.map { ($0, exactWidth ?? $0) } }
        set { (exactHeight, exactWidth) = (newValue?.height, newValue?.width) }
    }
    private var exactHeight: Int?, exactWidth: Int?
    /// PIL's filter for the resize.
    public var resample = ResampleFilter.bilinear
    public var centerCrop = true
    public var cropHeight = 224
    public var cropWidth = 224
    public var rescale = true
    public var rescaleFactor: Float = 1 / 255
    public var normalize = true
    public var mean: [Float] = [0.485, 0.456, 0.406]
    public var std: [Float] = [0.229, 0.224, 0.225]

    public init() {}

    /// The official processor of a model's family at its image size: what a checkpoint folder
    /// without preprocessor_config.json (a `save_pretrained` of the model alone) is fed.
    public init(defaultsFor model: XCLIPConfiguration) {
        let size = model.vision.imageSize
        (shortestEdge, cropHeight, cropWidth) = (size, size, size)
        if model.family == .clip {  // CLIPImageProcessor: BICUBIC, OpenAI's mean and std
            resample = .bicubic
            mean = [0.48145466, 0.4578275, 0.40821073]
            std = [0.26862954, 0.26130258, 0.27577711]
        }
    }

    /// Reads `preprocessor_config.json` from a model directory over the family's defaults, or
    /// the defaults alone if there is none.
    public init(modelDirectory: URL, model: XCLIPConfiguration) throws {
        let url = modelDirectory.appendingPathComponent("preprocessor_config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            self.init(defaultsFor: model)
            return
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw IngestError.badPreprocessor(path: url.path, reason: "not a JSON object")
        }
        try self.init(json: json, path: url.path, defaults: PreprocessorConfiguration(defaultsFor: model))
    }

    /// The processors whose resize, crop and normalization this reproduces.
    static let knownProcessors: Set<String> = [
        "CLIPImageProcessor", "CLIPImageProcessorFast", "CLIPFeatureExtractor",
        "VideoMAEImageProcessor", "VideoMAEImageProcessorFast", "VideoMAEFeatureExtractor",
    ]

    public init(json: [String: Any], path: String = "preprocessor_config.json", defaults: PreprocessorConfiguration = .init()) throws {
        self = defaults
        func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }
        for key in ["image_processor_type", "feature_extractor_type"] {
            guard let type = json[key] as? String else { continue }
            guard Self.knownProcessors.contains(type) else {
                throw IngestError.badPreprocessor(
                    path: path,
                    reason: "\(key) \(type) is not implemented: vidsearch preprocesses as CLIP's and X-CLIP's processors do "
                        + "(CLIPImageProcessor, VideoMAEImageProcessor)")
            }
        }
        if let flag = json["do_resize"] as? Bool { resize = flag }
        if let flag = json["do_center_crop"] as? Bool { centerCrop = flag }
        if let flag = json["do_rescale"] as? Bool { rescale = flag }
        if let flag = json["do_normalize"] as? Bool { normalize = flag }
        if let factor = json["rescale_factor"] as? NSNumber { rescaleFactor = factor.floatValue }
        // "size": 224 or {"shortest_edge": 224}: the short side; {"height": h, "width": w}: exactly that.
        if let size = int(json["size"]) {
            shortestEdge = size
        } else if let size = json["size"] as? [String: Any] {
            if let edge = int(size["shortest_edge"]) {
                shortestEdge = edge
            } else if let h = int(size["height"]), let w = int(size["width"]) {
                exactSize = (h, w)
                shortestEdge = min(h, w)
            } else {
                throw IngestError.badPreprocessor(path: path, reason: "size \(size) names neither shortest_edge nor height and width")
            }
        }
        if let crop = int(json["crop_size"]) {
            (cropHeight, cropWidth) = (crop, crop)
        } else if let crop = json["crop_size"] as? [String: Any], let h = int(crop["height"]), let w = int(crop["width"]) {
            (cropHeight, cropWidth) = (h, w)
        } else if json["crop_size"] == nil {
            (cropHeight, cropWidth) = (shortestEdge, shortestEdge)
        }
        // PIL's filters by number; a model resized with another filter than its own would get
        // embeddings unlike its own, so one vidsearch cannot compute is refused.
        if let value = json["resample"], !(value is NSNull) {
            let number = (value as? NSNumber).flatMap { $0.doubleValue == $0.doubleValue.rounded() ? $0.intValue : nil }
            guard let number, let filter = ResampleFilter(rawValue: number), filter.isImplemented else {
                let shown = number.map { "\($0) (\(ResampleFilter(rawValue: $0)?.name ?? "unknown"))" } ?? "\(value)"
                let implemented = ResampleFilter.allCases.filter(\.isImplemented).map { "\($0.name) (\($0.rawValue))" }
                throw IngestError.badPreprocessor(
                    path: path, reason: "resample \(shown) is not implemented: vidsearch resizes with PIL's \(implemented.joined(separator: ", "))")
            }
            resample = filter
        }
        if let mean = json["image_mean"] as? [NSNumber] { self.mean = mean.map(\.floatValue) }
        if let std = json["image_std"] as? [NSNumber] { self.std = std.map(\.floatValue) }
        let sides = [shortestEdge, cropHeight, cropWidth, exactHeight ?? 1, exactWidth ?? 1]
        guard sides.allSatisfy({ $0 > 0 && $0 <= 4096 }),
            mean.count == 3, std.count == 3, !std.contains(0), (mean + std + [rescaleFactor]).allSatisfy(\.isFinite)
        else {
            throw IngestError.badPreprocessor(path: path, reason: "sizes must be positive and mean/std have 3 non-zero values")
        }
    }
}
