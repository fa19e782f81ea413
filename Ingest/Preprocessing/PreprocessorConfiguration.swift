import Foundation

/// preprocessor_config.json of a checkpoint (the Hugging Face VideoMAE image processor), with
/// the official X-CLIP values for absent fields: short side 224, centre crop 224x224, scale
/// 1/255, ImageNet mean and std.
public struct PreprocessorConfiguration: Equatable {
    public var resize = true
    /// Target of the short side.
    public var shortestEdge = 224
    public var centerCrop = true
    public var cropHeight = 224
    public var cropWidth = 224
    public var rescale = true
    public var rescaleFactor: Float = 1 / 255
    public var normalize = true
    public var mean: [Float] = [0.485, 0.456, 0.406]
    public var std: [Float] = [0.229, 0.224, 0.225]

    public init() {}

    /// Reads `preprocessor_config.json` from a model directory, or the defaults if there is none.
    public init(modelDirectory: URL) throws {
        let url = modelDirectory.appendingPathComponent("preprocessor_config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            self.init()
            return
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw IngestError.badPreprocessor(path: url.path, reason: "not a JSON object")
        }
        try self.init(json: json, path: url.path)
    }

    public init(json: [String: Any], path: String = "preprocessor_config.json") throws {
        func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }
        if let flag = json["do_resize"] as? Bool { resize = flag }
        if let flag = json["do_center_crop"] as? Bool { centerCrop = flag }
        if let flag = json["do_rescale"] as? Bool { rescale = flag }
        if let flag = json["do_normalize"] as? Bool { normalize = flag }
        if let factor = json["rescale_factor"] as? NSNumber { rescaleFactor = factor.floatValue }
        // "size": 224, or {"shortest_edge": 224}, or {"height": h, "width": w} (the short side is used).
        if let size = int(json["size"]) {
            shortestEdge = size
        } else if let size = json["size"] as? [String: Any] {
            if let edge = int(size["shortest_edge"]) {
                shortestEdge = edge
            } else if let h = int(size["height"]), let w = int(size["width"]) {
                shortestEdge = min(h, w)
            }
        }
        if let crop = int(json["crop_size"]) {
            (cropHeight, cropWidth) = (crop, crop)
        } else if let crop = json["crop_size"] as? [String: Any], let h = int(crop["height"]), let w = int(crop["width"]) {
            (cropHeight, cropWidth) = (h, w)
        } else if json["crop_size"] == nil {
            (cropHeight, cropWidth) = (shortestEdge, shortestEdge)
        }
        // PIL's filters by number; vidsearch implements the official checkpoints' BILINEAR (2) only,
        // and a model asking for another would get embeddings unlike its own.
        if let resample = json["resample"], !(resample is NSNull) {
            let names = [0: "NEAREST", 1: "LANCZOS", 2: "BILINEAR", 3: "BICUBIC", 4: "BOX", 5: "HAMMING"]
            guard let value = int(resample), value == 2 else {
                let shown = int(resample).map { "\($0) (\(names[$0] ?? "unknown"))" } ?? "\(resample)"
                throw IngestError.badPreprocessor(
                    path: path, reason: "resample \(shown) is not implemented: vidsearch resizes with PIL's BILINEAR (2)")
            }
        }
        if let mean = json["image_mean"] as? [NSNumber] { self.mean = mean.map(\.floatValue) }
        if let std = json["image_std"] as? [NSNumber] { self.std = std.map(\.floatValue) }
        guard shortestEdge > 0, cropHeight > 0, cropWidth > 0, [shortestEdge, cropHeight, cropWidth].allSatisfy({ $0 <= 4096 }),
            mean.count == 3, std.count == 3, !std.contains(0), (mean + std + [rescaleFactor]).allSatisfy(\.isFinite)
        else {
            throw IngestError.badPreprocessor(path: path, reason: "sizes must be positive and mean/std have 3 non-zero values")
        }
    }
}
