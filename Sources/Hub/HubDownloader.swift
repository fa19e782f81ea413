import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Fetches a checkpoint's files from the Hugging Face hub into the cache as huggingface_hub lays it
/// out (HubCache), so that Python's tools and vidsearch share one copy:
/// - `HEAD {endpoint}/{repo}/resolve/{revision}/{file}` without following redirects gives the
///   commit (`X-Repo-Commit`), the blob's name (`X-Linked-Etag` for a large file: its sha256,
///   else `ETag`), its size (`X-Linked-Size` or `Content-Length`) and, for a large file, the storage
///   host it redirects to. The first file pins the commit; the rest are asked at that commit.
/// - A blob downloads to `blobs/ETAG.incomplete` under `.locks/models--ORG--NAME/ETAG.lock` (two
///   pulls never write one blob), resumes with `Range` after a cut connection (here, and in a later
///   run), is checked against its size and, for a large file, its sha256, and only then is renamed
///   to `blobs/ETAG`: a partial or corrupt file is never a blob. `snapshots/COMMIT/FILE` links to it
///   and `refs/REVISION` names the commit.
/// - The token (`HF_TOKEN`) goes to the hub's host only, never to a storage host.
public struct HubDownloader {
    public struct Progress {
        public let file: String
        public let received: Int
        public let total: Int
        public let bytesPerSecond: Double
    }

    public struct Pulled {
        public let snapshot: URL
        public let commit: String
        /// Each file: its name, its size, and whether it was downloaded now (false: already cached).
        public let files: [(name: String, bytes: Int, downloaded: Bool)]
    }

    public var endpoint: URL
    public var token: String?
    public var cache: URL
    public var offline: Bool
    /// Attempts per file when the connection breaks mid-download (each resumes where it stopped).
    public var attempts = 4
    public var progress: (Progress) -> Void = { _ in }

    /// From the environment, as huggingface_hub reads it: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and the cache folders.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        endpoint = URL(string: base.hasSuffix("/") ? String(base.dropLast()) : base) ?? URL(string: "https://huggingface.co")!
        token = environment["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        cache = HubCache.root(environment)
        offline = ["1", "true", "yes", "on"].contains((environment["HF_HUB_OFFLINE"] ?? "").lowercased())
    }

    /// The files a model directory holds: (name, required). Of the weights, the first found is taken.
    static let files: [(name: String, required: Bool)] = [
        ("config.json", true), ("preprocessor_config.json", false), ("vocab.json", false), ("merges.txt", false),
    ]
    static let weights = ["model.safetensors", "pytorch_model.bin"]

    public func pull(_ repo: String, revision: String) throws -> Pulled {
        let folder = cache.appendingPathComponent("models--" + repo.replacingOccurrences(of: "/", with: "--"))
        if offline {
            guard let snapshot = HubCache.snapshot(repo, revision: revision, root: cache) else {
                throw HubError.offline(repo: repo, revision: revision, cache: cache.path)
            }
            return Pulled(snapshot: snapshot, commit: snapshot.lastPathComponent, files: [])
        }
        let http = HubHTTP()
        var commit: String?
        var pulled: [(String, Int, Bool)] = []
        func fetch(_ name: String) throws -> Bool {
            guard let meta = try metadata(http, repo: repo, revision: commit ?? revision, file: name) else { return false }
            if commit == nil { commit = meta.commit }
            let (bytes, downloaded) = try blob(http, meta: meta, folder: folder, file: name)
            try link(folder: folder, commit: meta.commit, file: name, etag: meta.etag)
            pulled.append((name, bytes, downloaded))
            return true
        }
        for (name, required) in Self.files where try !fetch(name) && required {
            throw HubError.fileMissing(repo: repo, revision: revision, file: name)
        }
        guard try Self.weights.contains(where: { try fetch($0) }) else { throw HubError.noWeights(repo: repo, revision: revision) }
        guard let commit else { throw HubError.noWeights(repo: repo, revision: revision) }
        if revision != commit { try write(Data(commit.utf8), to: folder.appendingPathComponent("refs").appendingPathComponent(revision)) }
        return Pulled(
            snapshot: folder.appendingPathComponent("snapshots").appendingPathComponent(commit), commit: commit,
            files: pulled.map { (name: $0.0, bytes: $0.1, downloaded: $0.2) })
    }

    struct Metadata {
        let commit: String
        let etag: String
        let size: Int
        /// Where the bytes are: the storage host a large file redirects to, or the resolve URL.
        let location: URL
        /// The etag is the file's sha256 (a large file), so the download can be checked against it.
        var isSHA256: Bool { etag.count == 64 && etag.allSatisfy(\.isHexDigit) }
    }

    private func resolveURL(_ repo: String, _ revision: String, _ file: String) -> URL {
        let rev = revision.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? revision
        return endpoint.appendingPathComponent(repo).appendingPathComponent("resolve").appendingPathComponent(rev).appendingPathComponent(file)
    }

    private func request(_ url: URL, method: String) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("vidsearch", forHTTPHeaderField: "User-Agent")
        if let token, url.host == endpoint.host, url.port == endpoint.port {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        return request
    }

    private func exchange(_ http: HubHTTP, _ request: URLRequest, body: ((HubHTTP.Response, UnsafeRawBufferPointer) throws -> Void)? = nil) throws
        -> HubHTTP.Response
    {
        do { return try http.send(request, body: body) } catch let error as HubError { throw error } catch {
            throw HubError.network(url: request.url?.absoluteString ?? "", reason: Self.reason(error))
        }
    }

    static func reason(_ error: Error) -> String {
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .cannotConnectToHost: return "cannot connect (connection refused; no network, or the hub is down)"
        case .cannotFindHost, .dnsLookupFailed: return "cannot find the host (no network?)"
        case .notConnectedToInternet: return "no network"
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "the connection was cut"
        default: return error.localizedDescription
        }
    }

    /// The file's metadata, or nil when the repository at this revision has no such file.
    func metadata(_ http: HubHTTP, repo: String, revision: String, file: String) throws -> Metadata? {
        var url = resolveURL(repo, revision, file)
        for _ in 0..<10 {
            let answer = try exchange(http, request(url, method: "HEAD"))
            let code = answer.header("X-Error-Code")
            switch answer.status {
            case 200..<300:
                return try metadata(answer, url: url, file: file)
            case 300..<400:
                guard let location = answer.header("Location"), let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw HubError.http(url: url.absoluteString, status: answer.status)
                }
                // A redirect on the hub's own host (a renamed repository) is followed; one to storage
                // carries the large file's metadata.
                if answer.header("X-Linked-Etag") == nil && next.host == endpoint.host && next.port == endpoint.port {
                    url = next
                    continue
                }
                return try metadata(answer, url: next, file: file)
            case 401, 403:
                if code == "GatedRepo" { throw HubError.gated(repo: repo) }
                if token != nil && (answer.header("X-Error-Message") ?? "").contains("Invalid credentials") {
                    throw HubError.tokenRefused(repo: repo)
                }
                throw HubError.repositoryNotFound(repo: repo)
            case 404:
                if code == "RevisionNotFound" { throw HubError.revisionNotFound(repo: repo, revision: revision) }
                if code == "RepoNotFound" { throw HubError.repositoryNotFound(repo: repo) }
                return nil
            default:
                throw HubError.http(url: url.absoluteString, status: answer.status)
            }
        }
        throw HubError.network(url: url.absoluteString, reason: "more than 10 redirects")
    }

    private func metadata(_ answer: HubHTTP.Response, url: URL, file: String) throws -> Metadata {
        guard let commit = answer.header("X-Repo-Commit"), commit.count == 40, commit.allSatisfy(\.isHexDigit) else {
            throw HubError.network(url: url.absoluteString, reason: "the answer names no commit (X-Repo-Commit): not a Hugging Face hub?")
        }
        let raw = answer.header("X-Linked-Etag") ?? answer.header("ETag") ?? ""
        let etag = raw.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard !etag.isEmpty, !etag.contains("/"), !etag.contains("..") else {
            throw HubError.network(url: url.absoluteString, reason: "the answer names no usable ETag for \(file)")
        }
        let size = Int(answer.header("X-Linked-Size") ?? answer.header("Content-Length") ?? "") ?? -1
        return Metadata(commit: commit, etag: etag, size: size, location: url)
    }

    /// The blob for `meta` in the cache, downloaded unless it is there whole: (its size, downloaded now).
    func blob(_ http: HubHTTP, meta: Metadata, folder: URL, file: String) throws -> (Int, Bool) {
        let blobs = folder.appendingPathComponent("blobs")
        let blob = blobs.appendingPathComponent(meta.etag)
        if let size = Self.size(blob.path), meta.size < 0 || size == meta.size { return (size, false) }
        try makeFolder(blobs)
        let locks = cache.appendingPathComponent(".locks").appendingPathComponent(folder.lastPathComponent)
        try makeFolder(locks)
        let lockPath = locks.appendingPathComponent(meta.etag + ".lock").path
        let lock = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw HubError.disk(path: lockPath, reason: String(cString: strerror(errno))) }
        defer { close(lock) }
        flock(lock, LOCK_EX)  // another pull of this blob finishes first
        defer { flock(lock, LOCK_UN) }
        if let size = Self.size(blob.path), meta.size < 0 || size == meta.size { return (size, false) }

        let partial = blob.path + ".incomplete"
        // A cut connection is tried again from where it stopped; what is there stays for a later run.
        var attempt = 0
        while true {
            do {
                try download(http, meta: meta, to: partial, file: file)
                break
            } catch let error as HubError {
                attempt += 1
                if case .network = error, attempt < attempts { continue }
                throw error
            }
        }
        let got = Self.size(partial) ?? 0
        if meta.size >= 0 && got != meta.size {
            unlink(partial)
            throw HubError.size(file: file, expected: meta.size, found: got)
        }
        if meta.isSHA256 {
            let found = try Self.sha256(partial)
            guard found == meta.etag.lowercased() else {
                unlink(partial)
                throw HubError.checksum(file: file, expected: meta.etag, found: found)
            }
        }
        guard rename(partial, blob.path) == 0 else { throw HubError.disk(path: blob.path, reason: String(cString: strerror(errno))) }
        return (got, true)
    }

    /// Appends the rest of the file to `partial` (all of it when the server ignores the Range).
    private func download(_ http: HubHTTP, meta: Metadata, to partial: String, file: String) throws {
        let fd = open(partial, O_CREAT | O_WRONLY, 0o644)
        guard fd >= 0 else { throw HubError.disk(path: partial, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var have = Int(lseek(fd, 0, SEEK_END))
        if meta.size >= 0 && have >= meta.size { return }
        var url = meta.location
        let started = Date(), startedAt = have
        for _ in 0..<10 {
            var req = request(url, method: "GET")
            if have > 0 { req.setValue("bytes=\(have)-", forHTTPHeaderField: "Range") }
            var firstBytes = true
            let answer = try exchange(http, req) { answer, bytes in
                guard answer.status == 200 || answer.status == 206 else { return }  // an error page or a redirect's body
                defer { firstBytes = false }
                if firstBytes && answer.status == 200 && have > 0 {
                    // The server ignored the Range and sends the whole file: start over.
                    guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
                        throw HubError.disk(path: partial, reason: String(cString: strerror(errno)))
                    }
                    have = 0
                }
                var at = 0
                while at < bytes.count {
                    let n = Foundation.write(fd, bytes.baseAddress! + at, bytes.count - at)
                    if n < 0 { throw HubError.disk(path: partial, reason: String(cString: strerror(errno))) }
                    at += n
                }
                have += bytes.count
                let seconds = max(Date().timeIntervalSince(started), 1e-3)
                progress(Progress(file: file, received: have, total: meta.size, bytesPerSecond: Double(have - startedAt) / seconds))
            }
            switch answer.status {
            case 200, 206:
                if meta.size >= 0 && have < meta.size {
                    throw HubError.network(url: url.absoluteString, reason: "the connection was cut at \(have) of \(meta.size) bytes")
                }
                return
            case 300..<400:
                guard let location = answer.header("Location"), let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw HubError.http(url: url.absoluteString, status: answer.status)
                }
                url = next
            case 416 where meta.size >= 0 && have >= meta.size:
                return
            default:
                throw HubError.http(url: url.absoluteString, status: answer.status)
            }
        }
        throw HubError.network(url: url.absoluteString, reason: "more than 10 redirects")
    }

    private func link(folder: URL, commit: String, file: String, etag: String) throws {
        let snapshot = folder.appendingPathComponent("snapshots").appendingPathComponent(commit)
        try makeFolder(snapshot)
        let path = snapshot.appendingPathComponent(file).path
        unlink(path)
        guard symlink("../../blobs/" + etag, path) == 0 else { throw HubError.disk(path: path, reason: String(cString: strerror(errno))) }
    }

    private func makeFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw HubError.disk(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    private func write(_ data: Data, to url: URL) throws {
        try makeFolder(url.deletingLastPathComponent())
        do { try data.write(to: url, options: .atomic) } catch { throw HubError.disk(path: url.path, reason: error.localizedDescription) }
    }

    static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    static func sha256(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HubError.disk(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { throw HubError.disk(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return hash.hexDigest()
    }
}
