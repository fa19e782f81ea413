/// The answers that describe the index rather than search it.

/// `/api/health`: the process answers (it does not touch the model or the index).
struct HealthResponse: APIResponse, Codable {
    var ok = true
}

/// `/api/stats`: what the index holds and the model it was made with.
struct StatsResponse: APIResponse, Codable {
    var videos: Int
    var segments: Int
    var model: String
    var dimension: Int
    /// The FAISS factory string of the vector cache.
    var vectorIndex: String
}

/// `/api/videos`: every indexed video, by path.
struct VideoListResponse: APIResponse, Codable {
    var videos: [VideoResponse]
}

/// `/api/videos/{id}`.
extension VideoResponse: APIResponse {}
