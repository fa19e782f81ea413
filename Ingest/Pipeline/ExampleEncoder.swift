import Foundation
import Tensor

/// A query by example: a short clip or a photo (a still, one segment) encoded exactly as ingest
/// encodes footage, its segments' normalized embeddings averaged into one vector to search with.
/// Only its first `maxSeconds` are read: an upload of four hours would otherwise hold the model
/// (and a server's searches) for as long as its encoding takes.
public enum ExampleEncoder {
    public struct Example {
        public var embedding: [Float]
        public var segments: Int
    }

    /// Seconds of an example read from its start (documented in the README and the API).
    public static let maxSeconds = 60.0

    /// A pipeline's options for examples: the bound, and one model worker (an example's few
    /// segments are not worth a core each beside a server's searches).
    public static var pipelineOptions: IngestPipeline.Options {
        var options = IngestPipeline.Options(modelWorkers: 1)
        options.segments.maxSeconds = maxSeconds
        return options
    }

    public static func encode(path: String, pipeline: IngestPipeline, modelTurn: IngestPipeline.ModelTurn? = nil) throws -> Example {
        var found: Example?
        var failure: String?
        try pipeline.run(paths: [path], modelTurn: modelTurn) { event in
            switch event {
            case .finished(let video):
                guard let first = video.segments.first else {
                    failure = "no frames could be read"
                    return
                }
                var sum = [Float](repeating: 0, count: first.embedding.count)
                for segment in video.segments {
                    let e = segment.embedding
                    let norm = e.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    guard norm.isFinite, norm > 0 else { continue }
                    for i in sum.indices { sum[i] += e[i] / norm }
                }
                guard firstNonFinite(sum) == nil, sum.contains(where: { $0 != 0 }) else {
                    failure = "its embedding is not finite"
                    return
                }
                found = Example(embedding: sum, segments: video.segments.count)
            case .failed(let error): failure = error.reason
            default: break
            }
        }
        guard let found else { throw ExampleError(reason: failure ?? "nothing could be decoded") }
        return found
    }

    public struct ExampleError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "the example cannot be used: \(reason)" }
    }
}
