import Foundation
import Hummingbird

/// An answer of the JSON API (docs/openapi.yaml): a Codable type that a handler returns and
/// Hummingbird asks for its response, written by `JSONBody`.
protocol APIResponse: Encodable, ResponseGenerator, Sendable {}

extension APIResponse {
    func response(from request: Request, context: some RequestContext) throws -> Response {
        try JSONBody.response(self)
    }
}

/// How the API writes JSON: snake_case names, sorted keys, slashes as they are, never cached.
enum JSONBody {
    /// `value` as the body; a value JSON cannot hold (a non-finite score) throws an APIError
    /// (500) that names it by its path, such as "hits[1].score is -inf", never a `{}` with 200.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data: Data
        do {
            data = try encoder().encode(value)
        } catch let EncodingError.invalidValue(value, context) {
            throw APIError(.internalServerError, "the answer could not be written as JSON: \(path(context.codingPath)) is \(value)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A new one per answer: handlers run on many threads at once.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// "hits[1].score" from the encoder's coding path.
    static func path(_ keys: [CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text.isEmpty ? "a value" : text
    }
}
