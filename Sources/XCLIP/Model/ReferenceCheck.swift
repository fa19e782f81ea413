import Foundation
import Tensor

/// Compares this implementation with a reference dump in the fixture format
/// (`input.pixel_values`, `input.input_ids`, and `out.*` tensors made by transformers).
public struct ReferenceCheck {
    public struct Result: Equatable {
        public let name: String
        /// max |ours - reference| / max |reference|; nil when the output is missing on one side.
        public let error: Float?
        public let problem: String?
    }

    /// The outputs a dump of this format carries, in the order of the forward pass. A CLIP dump
    /// has each frame's projected embedding instead of the MIT's outputs, and its text embeddings
    /// are [texts, projection] (no video prompts them).
    public static func outputNames(for family: ModelFamily) -> [String] {
        switch family {
        case .xclip:
            return [
                "out.vision_last_hidden_state", "out.vision_pooled", "out.mit_last_hidden_state", "out.mit_pooled",
                "out.video_features", "out.video_embeds", "out.text_features", "out.text_embeds",
                "out.logits_per_video", "out.logits_per_text",
            ]
        case .clip:
            return [
                "out.vision_last_hidden_state", "out.vision_pooled", "out.frame_embeds",
                "out.video_features", "out.video_embeds", "out.text_features", "out.text_embeds",
                "out.logits_per_video", "out.logits_per_text",
            ]
        }
    }

    /// Runs the model on the dump's inputs and measures each output's error.
    public static func run(model: XCLIPModel, reference: SafeTensorsFile) throws -> [Result] {
        let ours = try outputs(model: model, reference: reference)
        var names = outputNames(for: model.configuration.family)
        names += reference.entries.keys.filter { $0.hasPrefix("out.") && !names.contains($0) }.sorted()
        return try names.map { name in
            guard reference.entries[name] != nil else {
                return Result(name: name, error: nil, problem: "missing from the reference")
            }
            guard let mine = ours[name] else {
                return Result(name: name, error: nil, problem: "not an output vidsearch produces")
            }
            let theirs = try reference.floatTensor(name)
            guard theirs.shape == mine.shape else {
                return Result(name: name, error: nil, problem: "shape \(mine.shape), reference \(theirs.shape)")
            }
            if let i = firstNonFinite(mine.data, count: mine.count) {
                return Result(name: name, error: .infinity, problem: "vidsearch's output is \(mine.data[i]) at element \(i)")
            }
            if let i = firstNonFinite(theirs.data, count: theirs.count) {
                return Result(name: name, error: .infinity, problem: "the reference is \(theirs.data[i]) at element \(i)")
            }
            return Result(name: name, error: relativeError(mine.data, reference: theirs.data, count: mine.count), problem: nil)
        }
    }

    /// Every output of the forward pass, named as in the dump.
    public static func outputs(model: XCLIPModel, reference: SafeTensorsFile) throws -> [String: Tensor] {
        let pixels = try reference.floatTensor("input.pixel_values")
        let ids = try reference.integers("input.input_ids")
        guard ids.shape.count == 2 else { throw ModelError.badInput("input.input_ids must be [texts, length], found \(ids.shape)") }
        let texts = ids.shape[0], length = ids.shape[1]
        let p = model.embeddingSize

        let video = try model.encodeVideos(pixels)
        let videos = video.embeddings.rows
        let textFeatures = Tensor(shape: [texts, p])
        var textRows: [[Float]] = []
        for k in 0..<texts {
            let row = try model.encodeText(Array(ids.values[(k * length)..<((k + 1) * length)]))
            textRows.append(row)
            textFeatures.row(k).update(from: row, count: p)
        }

        let videoEmbeds = Tensor(shape: [videos, p])
        let prompted = model.reranks
        let textEmbeds = Tensor(shape: prompted ? [videos, texts, p] : [texts, p])
        let logitsPerVideo = Tensor(shape: [videos, texts])
        let logitsPerText = Tensor(shape: [texts, videos])
        for b in 0..<videos {
            let v = video.embeddings.row(b)
            let vNorm = norm(v, count: p)
            for i in 0..<p { videoEmbeds.row(b)[i] = v[i] / vNorm }
            // X-CLIP: each text prompted by this video; CLIP: the texts as they are.
            let rows =
                prompted
                ? model.promptedTextEmbeddings(textRows, promptTokens: video.promptTokens.data + b * model.promptTokenCount * p)
                : textRows
            for k in 0..<texts {
                let e = rows[k]
                let eNorm = e.withUnsafeBufferPointer { norm($0.baseAddress!, count: p) }
                let dst = textEmbeds.data + ((prompted ? b * texts : 0) + k) * p
                for i in 0..<p { dst[i] = e[i] / eNorm }
                let logit = model.logitScale * dot(videoEmbeds.row(b), dst, count: p)
                logitsPerVideo[b * texts + k] = logit
                logitsPerText[k * videos + b] = logit
            }
        }
        var outputs = [
            "out.vision_last_hidden_state": video.visionLastHiddenState,
            "out.vision_pooled": video.visionPooled,
            "out.video_features": video.embeddings,
            "out.video_embeds": videoEmbeds,
            "out.text_features": textFeatures,
            "out.text_embeds": textEmbeds,
            "out.logits_per_video": logitsPerVideo,
            "out.logits_per_text": logitsPerText,
        ]
        if prompted {
            outputs["out.mit_last_hidden_state"] = video.mitLastHiddenState
            outputs["out.mit_pooled"] = video.embeddings
        } else {
            outputs["out.frame_embeds"] = video.frameEmbeddings
        }
        return outputs
    }
}
