import Foundation
import Server
import TestSupport
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `vidsearch serve` process on an ephemeral port, stopped when the test ends.
final class RunningServer {
    let process: Process
    let base: URL

    init(_ test: XCTestCase, arguments: [String]) throws {
        process = Process()
        process.executableURL = CLI.binary
        let cache = try temporaryDirectory(test).appendingPathComponent("clips").path
        process.arguments = ["serve", "--port", "0", "--clip-cache", cache] + arguments
        let out = Pipe()
        process.standardOutput = out
        // Its standard error goes to a file, read into the failure when it does not start.
        let log = try temporaryDirectory(test).appendingPathComponent("serve.stderr")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        // The first line names the address it got (ServeHandshake).
        let (address, text) = ServeHandshake.address(from: out.fileHandleForReading)
        guard let url = address else {
            process.terminate()
            process.waitUntilExit()
            let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            // A server that does not start is a failure of every test that needs it, never a skip.
            throw StartFailure(
                description:
                    "vidsearch serve did not start (exit \(process.terminationStatus)): stdout \(text.debugDescription), stderr \(stderr.debugDescription)"
            )
        }
        base = url
        let process = self.process
        test.addTeardownBlock {
            process.terminate()
            process.waitUntilExit()
        }
    }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    /// One request, waited for; `path` is sent as written (percent escapes and dots included).
    func get(_ path: String, headers: [String: String] = [:], method: String = "GET", body: Data? = nil) throws -> Reply {
        guard let url = URL(string: base.absoluteString.dropLast() + path) else { throw URLError(.badURL) }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        session.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (k, v) in http.allHeaderFields { fields["\(k)"] = "\(v)" }
                box.reply = Reply(status: http.statusCode, headers: fields, body: data ?? Data())
            }
            box.failure = error
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        if let reply = box.reply { return reply }
        throw box.failure ?? URLError(.badServerResponse)
    }

    /// What the completion handler hands back; read only after the semaphore says it is done.
    private final class Box: @unchecked Sendable {
        var reply: Reply?
        var failure: Error?
    }
}

/// Redirects are answers to check, not to follow.
private final class NoRedirects: NSObject, URLSessionTaskDelegate {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
