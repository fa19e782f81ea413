import Foundation
import Tensor

/// A query by example: a short clip or a photo (a still, one segment) encoded exactly as ingest
/// encodes footage, its segments' normalized embeddings averaged into one vector to search with.
public enum ExampleEncoder {
    public struct Example {
        public var embedding: [Float]
        public var segments: Int
    }

    public static func encode(path: String, pipeline: IngestPipeline) throws -> Example {
        var found: Example?
        var failure: String?
        try pipeline.run(paths: [path]) { event in
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
