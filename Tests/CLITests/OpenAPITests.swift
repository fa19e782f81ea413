import Foundation
import TestSupport
import XCTest
import Yams

/// Every operation in docs/openapi.yaml, called on a real server over the sample clips: the
/// status is one the document lists, and a JSON body has what its schema requires, with the
/// types it says.
final class OpenAPITests: XCTestCase {
    func testTheServerAnswersAsItsOpenAPIDocumentSays() throws {
        let spec = try XCTUnwrap(
            try Yams.load(yaml: String(contentsOf: CLI.repository.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)) as? [String: Any])
        let paths = try XCTUnwrap(spec["paths"] as? [String: Any])

        let dir = try temporaryDirectory(self)
        let index = dir.appendingPathComponent("index").path, model = CLI.repository.appendingPathComponent("Models/xclip-demo").path
        // The sample clips, one with a subtitle beside it, so that hits with a matched line are checked too.
        let footage = dir.appendingPathComponent("footage")
        try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Samples/demo-clips"), to: footage)
        try "1\n00:00:01,000 --> 00:00:02,000\nThe lighthouse keeper waves\n".write(
            to: footage.appendingPathComponent("clip-00001.en.srt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["index", footage.path, "--index", index, "--model", model]).status, 0)
        let server = try RunningServer(self, arguments: ["--index", index, "--model", model])

        // Requests for each documented path: one that succeeds and, where listed, ones that fail.
        let jpeg = try stillPhoto(dir)
        let requests: [String: [Call]] = [
            "/api/health": [Call("/api/health")],
            "/api/stats": [Call("/api/stats")],
            "/api/status": [Call("/api/status")],
            "/api/search": [
                Call("/api/search?q=a%20red%20circle&k=3&per_video=true"), Call("/api/search?q=lighthouse&k=3"),
                Call("/api/search?q=lighthouse&signals=speech"), Call("/api/search?q=red&signals=sound"), Call("/api/search?q="),
                Call("/api/search?q=red&k=-1"),
            ],
            "/api/search/example": [
                Call("/api/search/example?k=2", method: "post", headers: ["Content-Type": "image/jpeg"], body: jpeg),
                Call("/api/search/example", method: "post", headers: ["Content-Type": "video/mp4"], body: Data("no".utf8)),
                Call("/api/search/example", method: "post", headers: ["Content-Type": "text/plain"], body: Data("no".utf8)),
            ],
            "/api/similar/{segment}": [Call("/api/similar/1?k=3"), Call("/api/similar/424242"), Call("/api/similar/x")],
            "/api/videos": [Call("/api/videos")],
            "/api/videos/{id}": [Call("/api/videos/1"), Call("/api/videos/424242"), Call("/api/videos/x")],
            "/api/videos/{id}/media": [
                Call("/api/videos/1/media"), Call("/api/videos/1/media", headers: ["Range": "bytes=0-9"]),
                Call("/api/videos/1/media", headers: ["Range": "bytes=99999999-"]), Call("/api/videos/424242/media"),
            ],
            "/api/segments/{id}/thumbnail": [Call("/api/segments/1/thumbnail"), Call("/api/segments/424242/thumbnail")],
            "/api/segments/{id}/clip.mp4": [
                Call("/api/segments/1/clip.mp4"), Call("/api/segments/1/clip.mp4", headers: ["Range": "bytes=0-99"]),
                Call("/api/segments/424242/clip.mp4"),
            ],
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

    /// The schema keywords this validator checks or knows to carry no constraint; any other is
    /// reported, so that the document cannot state a rule the test silently ignores.
    private static let knownKeywords: Set<String> = ["$ref", "type", "required", "properties", "items", "enum", "description", "format"]

    /// A JSON true or false (JSONSerialization gives NSNumbers of type "c" for them, and numbers
    /// cast to Bool, so `as? Bool` cannot tell 1 from true).
    private static func isBoolean(_ value: Any) -> Bool {
        guard let n = value as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    /// What in `value` does not fit `schema` (types, required properties, array items, enums).
    private func problems(_ value: Any, _ schema: [String: Any], _ spec: [String: Any], at path: String) throws -> [String] {
        if let ref = schema["$ref"] as? String { return try problems(value, try resolve(ref, spec), spec, at: path) }
        var found = Set(schema.keys).subtracting(Self.knownKeywords).sorted().map { "\(path): schema keyword \($0) is not checked by this test" }
        if let allowed = schema["enum"] as? [Any],
            !allowed.contains(where: { option in (option as? String).map { $0 == value as? String } ?? ("\(option)" == "\(value)") })
        {
            found.append("\(path): \(value) is not one of \(allowed)")
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return found + ["\(path): not an object"] }
            found += ((schema["required"] as? [String]) ?? []).filter { object[$0] == nil }.map { "\(path).\($0): missing" }
            for (key, sub) in (schema["properties"] as? [String: Any]) ?? [:] {
                if let item = object[key], let sub = sub as? [String: Any] { found += try problems(item, sub, spec, at: "\(path).\(key)") }
            }
        case "array":
            guard let array = value as? [Any] else { return found + ["\(path): not an array"] }
            if let items = schema["items"] as? [String: Any] {
                found += try array.enumerated().flatMap { try problems($1, items, spec, at: "\(path)[\($0)]") }
            }
        case "string":
            if !(value is String) { found.append("\(path): not a string") }
        case "integer":
            if Self.isBoolean(value) || !((value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false) || value is String {
                found.append("\(path): not an integer")
            }
        case "number":
            if Self.isBoolean(value) || !((value as? NSNumber).map { $0.doubleValue.isFinite } ?? false) || value is String {
                found.append("\(path): not a finite number")
            }
        case "boolean":
            if !Self.isBoolean(value) { found.append("\(path): not a boolean") }
        case nil:
            break
        case let other?:
            found.append("\(path): schema type \(other) is not checked by this test")
        }
        return found
    }

    /// The validator itself: each rule it claims catches a value that breaks it.
    func testTheValidatorCatchesWhatItChecks() throws {
        let spec: [String: Any] = [:]
        func check(_ json: String, _ schema: [String: Any]) throws -> [String] {
            let value = try JSONSerialization.jsonObject(with: Data("[\(json)]".utf8)) as! [Any]
            return try problems(value[0], schema, spec, at: "v")
        }
        XCTAssertEqual(try check("true", ["type": "boolean"]), [])
        XCTAssertEqual(try check("1", ["type": "boolean"]), ["v: not a boolean"])
        XCTAssertEqual(try check("true", ["type": "integer"]), ["v: not an integer"])
        XCTAssertEqual(try check("3", ["type": "integer"]), [])
        XCTAssertEqual(try check("3.5", ["type": "integer"]), ["v: not an integer"])
        XCTAssertEqual(try check("false", ["type": "number"]), ["v: not a finite number"])
        XCTAssertEqual(try check("\"x\"", ["type": "string", "enum": ["a", "b"]]), ["v: x is not one of [\"a\", \"b\"]"])
        XCTAssertEqual(try check("\"a\"", ["type": "string", "enum": ["a", "b"]]), [])
        XCTAssertEqual(try check("{}", ["type": "object", "required": ["k"]]), ["v.k: missing"])
        XCTAssertEqual(try check("3", ["type": "integer", "minimum": 0]), ["v: schema keyword minimum is not checked by this test"])
    }
}
