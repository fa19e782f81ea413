import Tensor
import VideoIndex

/// Synthetic segment vectors shaped like an archive's: topics, videos near a topic (cosine ~0.6),
/// 100-segment videos whose segments sit near their video (cosine ~0.8), and queries near a
/// topic. Uniformly random 512-d vectors would have no near neighbours for any index to find.
///
/// How many videos share a topic decides how hard approximate search is: with one video per
/// topic a query's true top 100 is one video's segments, tight in one inverted list; with ten per
/// topic they spread over the topic's lists. The topic count grows with the archive
/// (`videosPerTopic` fixed), so a bigger index is not an easier one (a fixed 1,000 topics had made
/// recall rise from 0.81 at 100k to 0.9996 at 1M).
struct ArchiveVectors {
    let dimension: Int
    let videosPerTopic: Int
    let topics: [[Float]]
    private var videoCentre: (index: Int, vector: [Float]) = (-1, [])

    init(count: Int, dimension: Int, videosPerTopic: Int, seed: UInt64) {
        self.dimension = dimension
        self.videosPerTopic = videosPerTopic
        var rng = SeededRandom(seed: seed)
        let videos = max(1, (count + 99) / 100)
        topics = (0..<max(1, videos / videosPerTopic)).map { _ in VectorCache.normalized((0..<dimension).map { _ in rng.uniform() }) }
    }

    /// Noise of uniform half-width h has norm h*sqrt(p/3) against a unit centre.
    func near(_ centre: [Float], cosine: Float, _ rng: inout SeededRandom) -> [Float] {
        let norm = (1 / (cosine * cosine) - 1).squareRoot()
        let h = norm * (3 / Float(dimension)).squareRoot()
        return VectorCache.normalized(centre.map { $0 + rng.uniform(h) })
    }

    /// Segment `i` (video i / 100); `rng` supplies the segment's own noise.
    mutating func segment(_ i: Int, _ rng: inout SeededRandom) -> [Float] {
        let video = i / 100
        if videoCentre.index != video {
            var videoRng = SeededRandom(seed: UInt64(video) &* 7919 &+ 1)
            let topic = topics[Int(videoRng.next() % UInt64(topics.count))]
            videoCentre = (video, near(topic, cosine: 0.6, &videoRng))
        }
        return near(videoCentre.vector, cosine: 0.8, &rng)
    }

    func query(_ rng: inout SeededRandom) -> [Float] {
        near(topics[Int(rng.next() % UInt64(topics.count))], cosine: 0.6, &rng)
    }

    var shapeNote: String { videosPerTopic == 1 ? "one video per topic" : "\(videosPerTopic) videos per topic" }
}
