import Foundation

/// The vision tower's settings (`vision_config` in config.json).
public struct VisionConfiguration: Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 32
    public var numFrames = 8
    public var layerNormEps: Float = 1e-5
    public var mitHiddenSize = 512
    public var mitIntermediateSize = 2048
    public var mitNumHiddenLayers = 1
    public var mitNumAttentionHeads = 8
    public var hiddenAct = "quick_gelu"

    public init() {}

    /// Patches along one side of a frame.
    public var grid: Int { imageSize / patchSize }
    /// Tokens per frame: the class token and the patches.
    public var tokens: Int { grid * grid + 1 }
}

/// The text tower's settings (`text_config`).
public struct TextConfiguration: Equatable {
    public var vocabSize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var numHiddenLayers = 12
    public var numAttentionHeads = 8
    public var maxPositionEmbeddings = 77
    public var layerNormEps: Float = 1e-5
    public var hiddenAct = "quick_gelu"

    public init() {}
}

/// Which checkpoints a model directory holds: both load the same towers and tokenizer.
public enum ModelFamily: String, Equatable {
    /// `XCLIPModel`: cross-frame communication, the MIT, and the video-specific prompt generator.
    case xclip = "x-clip"
    /// `CLIPModel` (openai/clip-vit-*, and checkpoints of the same format): the image tower run on
    /// each frame, no message tokens, no MIT, no prompts; a segment is the mean of its normalized
    /// projected frame embeddings (the paper's CLIP-mean baseline).
    case clip
}

/// An XCLIPConfig (or a CLIPConfig, `family`): config.json of a Hugging Face X-CLIP or CLIP
/// checkpoint, with the reference defaults (those of microsoft/xclip-base-patch32, which CLIP
/// ViT-B/32 shares) for absent fields. A CLIP config names no frame count: 8 frames a segment.
public struct XCLIPConfiguration: Equatable {
    public var family = ModelFamily.xclip
    public var vision = VisionConfiguration()
    public var text = TextConfiguration()
    public var projectionDim = 512
    public var promptLayers = 2
    public var promptNumAttentionHeads = 8
    public var promptHiddenAct = "quick_gelu"

    public init() {}

    /// Reads config.json; `text_config_dict`/`vision_config_dict` override field by field, as in transformers.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelError.missingFile(path: url.path)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.badConfiguration(path: url.path, reason: "not a JSON object")
        }
        try self.init(json: root, path: url.path)
    }

    public init(json root: [String: Any], path: String = "config.json") throws {
        var reader = FieldReader(path: path)
        var visionFields = (root["vision_config"] as? [String: Any]) ?? [:]
        visionFields.merge((root["vision_config_dict"] as? [String: Any]) ?? [:]) { _, new in new }
        var textFields = (root["text_config"] as? [String: Any]) ?? [:]
        textFields.merge((root["text_config_dict"] as? [String: Any]) ?? [:]) { _, new in new }

        // model_type is "xclip" or "clip"; older configs name only their architecture.
        let architectures = (root["architectures"] as? [String]) ?? []
        if let type = root["model_type"] as? String {
            guard let known = ["xclip": ModelFamily.xclip, "clip": .clip][type] else {
                throw ModelError.badConfiguration(
                    path: path, reason: "model_type \"\(type)\" is neither an X-CLIP (xclip) nor a CLIP (clip) checkpoint")
            }
            family = known
        } else if architectures.contains("CLIPModel") {
            family = .clip
        }
        // A tower of another kind (a SigLIP or EVA vision tower under a CLIP config) has other
        // layers and weights: refused by name rather than run as CLIP's.
        let towers = family == .xclip ? ("xclip_vision_model", "xclip_text_model") : ("clip_vision_model", "clip_text_model")
        for (fields, expected, name) in [(visionFields, towers.0, "vision_config"), (textFields, towers.1, "text_config")] {
            if let type = fields["model_type"] as? String, type != expected {
                throw ModelError.badConfiguration(
                    path: path, reason: "\(name).model_type \"\(type)\" is not the \(family.rawValue) tower vidsearch runs (\(expected))")
            }
        }
        reader.read(&projectionDim, "projection_dim", in: root)
        reader.read(&promptLayers, "prompt_layers", in: root)
        reader.read(&promptNumAttentionHeads, "prompt_num_attention_heads", in: root)
        reader.read(&promptHiddenAct, "prompt_hidden_act", in: root)

        reader.read(&vision.hiddenSize, "hidden_size", in: visionFields)
        reader.read(&vision.intermediateSize, "intermediate_size", in: visionFields)
        reader.read(&vision.numHiddenLayers, "num_hidden_layers", in: visionFields)
        reader.read(&vision.numAttentionHeads, "num_attention_heads", in: visionFields)
        reader.read(&vision.numChannels, "num_channels", in: visionFields)
        reader.read(&vision.imageSize, "image_size", in: visionFields)
        reader.read(&vision.patchSize, "patch_size", in: visionFields)
        reader.read(&vision.numFrames, "num_frames", in: visionFields)
        reader.read(&vision.layerNormEps, "layer_norm_eps", in: visionFields)
        reader.read(&vision.mitHiddenSize, "mit_hidden_size", in: visionFields)
        reader.read(&vision.mitIntermediateSize, "mit_intermediate_size", in: visionFields)
        reader.read(&vision.mitNumHiddenLayers, "mit_num_hidden_layers", in: visionFields)
        reader.read(&vision.mitNumAttentionHeads, "mit_num_attention_heads", in: visionFields)
        reader.read(&vision.hiddenAct, "hidden_act", in: visionFields)

        reader.read(&text.vocabSize, "vocab_size", in: textFields)
        reader.read(&text.hiddenSize, "hidden_size", in: textFields)
        reader.read(&text.intermediateSize, "intermediate_size", in: textFields)
        reader.read(&text.numHiddenLayers, "num_hidden_layers", in: textFields)
        reader.read(&text.numAttentionHeads, "num_attention_heads", in: textFields)
        reader.read(&text.maxPositionEmbeddings, "max_position_embeddings", in: textFields)
        reader.read(&text.layerNormEps, "layer_norm_eps", in: textFields)
        reader.read(&text.hiddenAct, "hidden_act", in: textFields)

        if let problem = reader.problem { throw ModelError.badConfiguration(path: path, reason: problem) }
        try validate(path: path)
    }

    /// Facts the forward pass relies on; a config that breaks one is rejected at load.
    public func validate(path: String = "config.json") throws {
        func require(_ ok: Bool, _ reason: String) throws {
            if !ok { throw ModelError.badConfiguration(path: path, reason: reason) }
        }
        let positive = [
            vision.hiddenSize, vision.intermediateSize, vision.numHiddenLayers, vision.numAttentionHeads,
            vision.numChannels, vision.imageSize, vision.patchSize, vision.numFrames,
            vision.mitHiddenSize, vision.mitIntermediateSize, vision.mitNumAttentionHeads,
            text.vocabSize, text.hiddenSize, text.intermediateSize, text.numHiddenLayers,
            text.numAttentionHeads, text.maxPositionEmbeddings, projectionDim, promptNumAttentionHeads,
        ]
        try require(positive.allSatisfy { $0 > 0 }, "sizes must be positive")
        // Bounds far above any X-CLIP (L/14 is 1024 wide, 336 px, 32 frames) that keep a size
        // read from a file from turning into an allocation the machine cannot make.
        try require(
            positive.allSatisfy { $0 <= 1 << 20 } && vision.imageSize <= 4096 && vision.numFrames <= 1024
                && [vision.hiddenSize, text.hiddenSize, projectionDim].allSatisfy { $0 <= 16384 }
                && [vision.numHiddenLayers, text.numHiddenLayers, vision.mitNumHiddenLayers, promptLayers].allSatisfy { $0 <= 256 },
            "a size is implausibly large for an X-CLIP model")
        for (name, eps) in [("vision", vision.layerNormEps), ("text", text.layerNormEps)] {
            try require(eps.isFinite && eps > 0 && eps < 1, "\(name) layer_norm_eps \(eps) must be a small positive number")
        }
        try require(vision.mitNumHiddenLayers >= 0 && promptLayers >= 0, "layer counts must not be negative")
        try require(
            vision.hiddenSize % vision.numAttentionHeads == 0,
            "vision hidden_size \(vision.hiddenSize) is not divisible by \(vision.numAttentionHeads) heads")
        try require(
            text.hiddenSize % text.numAttentionHeads == 0, "text hidden_size \(text.hiddenSize) is not divisible by \(text.numAttentionHeads) heads")
        if family == .xclip {  // the MIT and the prompt generator: X-CLIP's alone
            try require(vision.mitHiddenSize % vision.mitNumAttentionHeads == 0, "mit_hidden_size is not divisible by its heads")
            try require(projectionDim % promptNumAttentionHeads == 0, "projection_dim is not divisible by prompt heads")
            try require(vision.mitHiddenSize == projectionDim, "mit_hidden_size \(vision.mitHiddenSize) must equal projection_dim \(projectionDim)")
        }
        try require(vision.imageSize % vision.patchSize == 0, "image_size \(vision.imageSize) is not a multiple of patch_size \(vision.patchSize)")
        // X-CLIP uses quick_gelu throughout; CLIP checkpoints use quick_gelu (OpenAI) or gelu (LAION).
        let acts = family == .xclip ? [vision.hiddenAct, text.hiddenAct, promptHiddenAct] : [vision.hiddenAct, text.hiddenAct]
        for act in acts {
            try require(
                act == "quick_gelu" || (family == .clip && act == "gelu"),
                "activation \(act) is not supported (X-CLIP uses quick_gelu; CLIP checkpoints quick_gelu or gelu)")
        }
    }
}

/// Reads typed fields out of JSON, remembering the first field of the wrong type.
private struct FieldReader {
    let path: String
    var problem: String?

    mutating func read(_ target: inout Int, _ key: String, in fields: [String: Any]) {
        guard let value = fields[key], !(value is NSNull) else { return }
        if let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() {
            target = number.intValue
        } else if problem == nil {
            problem = "\(key) should be an integer, found \(value)"
        }
    }

    mutating func read(_ target: inout Float, _ key: String, in fields: [String: Any]) {
        guard let value = fields[key], !(value is NSNull) else { return }
        if let number = value as? NSNumber {
            target = number.floatValue
        } else if problem == nil {
            problem = "\(key) should be a number, found \(value)"
        }
    }

    mutating func read(_ target: inout String, _ key: String, in fields: [String: Any]) {
        guard let value = fields[key], !(value is NSNull) else { return }
        if let string = value as? String { target = string } else if problem == nil { problem = "\(key) should be a string, found \(value)" }
    }
}
