/// The three answers that are a ranked list of hits, each with what it answered.

/// `/api/search`: the query as it was read (cut to the server's limit).
struct SearchResponse: APIResponse, Codable {
    var query: String
    var hits: [HitResponse]
}

/// `/api/similar/{segment}`: the stored segment whose embedding was the query.
struct SimilarResponse: APIResponse, Codable {
    var segment: Int64
    var hits: [HitResponse]
}

/// `/api/search/example`: the uploaded example's size in bytes (the file itself is not kept).
struct ExampleResponse: APIResponse, Codable {
    var bytes: Int
    var hits: [HitResponse]
}
