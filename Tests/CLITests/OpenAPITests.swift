import Foundation
import TestSupport
import XCTest
import Yams

/// Every operation in docs/openapi.yaml, called on a real server over the sample clips: the
/// status is one the document lists, and a JSON body has what its schema requires, with the
/// types it says.
final class OpenAPITests: XCTestCase {
    func testTheServerAnswersAsItsOpenAPIDocumentSays() throws {
        let spec = try XCTUnwrap(try Yams.load(yaml: String(contentsOf: CLI.repository.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)) as? [String: Any])
        let paths = try XCTUnwrap(spec["paths"] as? [String: Any])

        let dir = try temporaryDirectory(self)
        let index = dir.appendingPathComponent("index").path, model = CLI.repository.appendingPathComponent("Models/xclip-demo").path
        XCTAssertEqual(try CLI.run(["index", CLI.repository.appendingPathComponent("Samples/demo-clips").path, "--index", index, "--model", model]).status, 0)
        let server = try RunningServer(self, arguments: ["--index", index, "--model", model])

        // Requests for each documented path: one that succeeds and, where listed, ones that fail.
        let jpeg = try stillPhoto(dir)
        let requests: [String: [Call]] = [
            "/api/health": [Call("/api/health")],
            "/api/stats": [Call("/api/stats")],
            "/api/status": [Call("/api/status")],
            "/api/search": [Call("/api/search?q=a%20red%20circle&k=3&per_video=true"), Call("/api/search?q="), Call("/api/search?q=red&k=-1")],
            "/api/search/example": [Call("/api/search/example?k=2", method: "post", headers: ["Content-Type": "image/jpeg"], body: jpeg),
                                    Call("/api/search/example", method: "post", headers: ["Content-Type": "video/mp4"], body: Data("no".utf8)),
                                    Call("/api/search/example", method: "post", headers: ["Content-Type": "text/plain"], body: Data("no".utf8))],
            "/api/similar/{segment}": [Call("/api/similar/1?k=3"), Call("/api/similar/424242"), Call("/api/similar/x")],
            "/api/videos": [Call("/api/videos")],
            "/api/videos/{id}": [Call("/api/videos/1"), Call("/api/videos/424242"), Call("/api/videos/x")],
            "/api/videos/{id}/media": [Call("/api/videos/1/media"), Call("/api/videos/1/media", headers: ["Range": "bytes=0-9"]),
                                       Call("/api/videos/1/media", headers: ["Range": "bytes=99999999-"]), Call("/api/videos/424242/media")],
            "/api/segments/{id}/thumbnail": [Call("/api/segments/1/thumbnail"), Call("/api/segments/424242/thumbnail")],
            "/api/segments/{id}/clip.mp4": [Call("/api/segments/1/clip.mp4"), Call("/api/segments/1/clip.mp4", headers: ["Range": "bytes=0-99"]),
                                            Call("/api/segments/424242/clip.mp4")],
        ]
        XCTAssertEqual(Set(requests.keys), Set(paths.keys), "every documented path is tried, and only those")

        for (template, calls) in requests.sorted(by: { $0.key < $1.key }) {
            for call in calls {
                let operation = try XCTUnwrap((paths[template] as? [String: Any])?[call.method] as? [String: Any], "\(call.method) \(template)")
                let responses = try XCTUnwrap(operation["responses"] as? [String: Any], template)
                let reply = try server.get(call.url, headers: call.headers, method: call.method.uppercased(), body: call.body)
                let where_ = "\(call.url) \(call.headers)"
                guard var response = responses[String(reply.status)] as? [String: Any] else {
                    XCTFail("\(where_): status \(reply.status) is not in the document (\(responses.keys.sorted()))")
                    continue
                }
                if let ref = response["$ref"] as? String { response = try resolve(ref, spec) }
                guard let content = response["content"] as? [String: Any] else { continue }
                let type = (reply.header("Content-Type") ?? "").split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
                let media = try XCTUnwrap(content[type] as? [String: Any], "\(where_): Content-Type \(type) is not documented")
                if type == "application/json", let schema = media["schema"] as? [String: Any] {
                    let body = try JSONSerialization.jsonObject(with: reply.body)
                    XCTAssertEqual(try problems(body, schema, spec, at: "body"), [], where_)
                }
            }
        }
    }

    private struct Call {
        let url: String, method: String, headers: [String: String], body: Data?
        init(_ url: String, method: String = "get", headers: [String: String] = [:], body: Data? = nil) {
            self.url = url
            self.method = method
            self.headers = headers
            self.body = body
        }
    }

    private func stillPhoto(_ dir: URL) throws -> Data {
        let path = dir.appendingPathComponent("still.jpg").path
        try ffmpeg(["-i", CLI.repository.appendingPathComponent("Samples/demo-clips/clip-00003.mp4").path, "-frames:v", "1", path])
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    private func resolve(_ ref: String, _ spec: [String: Any]) throws -> [String: Any] {
        var node: Any = spec
        for key in ref.dropFirst(2).split(separator: "/") { node = try XCTUnwrap((node as? [String: Any])?[String(key)], ref) }
        return try XCTUnwrap(node as? [String: Any], ref)
    }

    /// What in `value` does not fit `schema` (types, required properties, array items).
    private func problems(_ value: Any, _ schema: [String: Any], _ spec: [String: Any], at path: String) throws -> [String] {
        if let ref = schema["$ref"] as? String { return try problems(value, try resolve(ref, spec), spec, at: path) }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
            var found = ((schema["required"] as? [String]) ?? []).filter { object[$0] == nil }.map { "\(path).\($0): missing" }
            for (key, sub) in (schema["properties"] as? [String: Any]) ?? [:] {
                if let item = object[key], let sub = sub as? [String: Any] { found += try problems(item, sub, spec, at: "\(path).\(key)") }
            }
            return found
        case "array":
            guard let array = value as? [Any] else { return ["\(path): not an array"] }
            guard let items = schema["items"] as? [String: Any] else { return [] }
            return try array.enumerated().flatMap { try problems($1, items, spec, at: "\(path)[\($0)]") }
        case "string": return value is String ? [] : ["\(path): not a string"]
        case "integer":
            guard let n = value as? NSNumber, !(value is String), n.doubleValue == n.doubleValue.rounded() else { return ["\(path): not an integer"] }
            return []
        case "number":
            guard let n = value as? NSNumber, n.doubleValue.isFinite else { return ["\(path): not a finite number"] }
            return []
        case "boolean": return value as? Bool != nil ? [] : ["\(path): not a boolean"]
        default: return []
        }
    }
}
