import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP exchange at a time over URLSession, synchronously, never following a redirect: the
/// downloader follows them itself, so that a token is sent to the hub's own host and never to the
/// storage host a large file redirects to. The body streams to a handler as it arrives.
/// Its state is touched by the delegate queue while the caller waits on `done`: one exchange at a time.
final class HubHTTP: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Response {
        let status: Int
        /// Header names in lower case.
        let headers: [String: String]
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    private var session: URLSession!
    private let done = DispatchSemaphore(value: 0)
    private var response: HTTPURLResponse?
    private var failure: Error?
    private var handler: ((Response, UnsafeRawBufferPointer) throws -> Void)?
    private var handlerError: Error?

    override init() {
        super.init()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = 30  // idle: no byte for this long
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends `request`; `body` receives the response (status and headers) with each piece of its
    /// body, in order (nil: the body is discarded).
    func send(_ request: URLRequest, body: ((Response, UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> Response {
        response = nil
        failure = nil
        handlerError = nil
        handler = body
        let task = session.dataTask(with: request)
        task.resume()
        done.wait()
        if let handlerError { throw handlerError }
        if let failure { throw failure }
        guard let response else { throw URLError(.badServerResponse) }
        return Self.response(response)
    }

    private static func response(_ http: HTTPURLResponse) -> Response {
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return Response(status: http.statusCode, headers: headers)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)  // the 3xx itself is the response
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        self.response = response as? HTTPURLResponse
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard handlerError == nil, let handler, let response else { return }
        do { try data.withUnsafeBytes { try handler(Self.response(response), $0) } } catch {
            handlerError = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if response == nil, let http = task.response as? HTTPURLResponse { response = http }
        if let error, handlerError == nil { failure = error }
        done.signal()
    }
}
