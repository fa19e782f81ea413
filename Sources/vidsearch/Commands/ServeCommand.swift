import ArgumentParser
import CommandSupport
import Foundation
import Ingest
import Query
import Server
import VideoIndex

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a search page and a JSON API over the index.",
        discussion: """
            Open the printed address in a browser: type what you are looking for, click a hit to play \
            exactly that moment, "more like this" on any hit. The API is described in \
            docs/openapi.yaml (GET /api/search?q=..., /api/similar/SEGMENT, /api/videos, ...).

            Binds 127.0.0.1 unless told otherwise; any other address needs --token, which clients \
            send as "Authorization: Bearer TOKEN" (a browser: open /?token=TOKEN once).

            Exit status: 2 usage error (a non-loopback host without --token), 3 index or model error.

            Examples:
              vidsearch serve
              vidsearch serve --index /data/archive-index --port 9000
              vidsearch serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
              vidsearch serve --watch ~/footage        # new files become searchable as they arrive
            """
    )

    @OptionGroup var options: IndexOptions

    @OptionGroup var products: PrecisionOption

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port; the address is printed).")
    var port = 8080

    @Option(help: "Secret every request must carry (required for any host but loopback).")
    var token: String?

    @Option(
        parsing: .singleValue,
        help: "A folder to watch (repeatable): new files are indexed as they settle, deleted ones removed (see `vidsearch watch`).")
    var watch: [String] = []

    @Option(help: "With --watch: seconds a file must stay unchanged before it is indexed.")
    var settle: Double = 3

    @Option(help: "Folder for segments cut to MP4 (formats browsers do not play). Default: ~/.cache/vidsearch/clips.")
    var clipCache: String?

    @Option(help: "Megabytes of cut clips kept (the oldest go first).")
    var clipCacheMb = 256

    func validate() throws {
        try Limits.check(port, "--port", 0...65535)
        try Limits.check(clipCacheMb, "--clip-cache-mb", 1...1_000_000)
        if token == nil && !ServerOptions.isLoopback(host) {
            throw ValidationError("\(SearchServer.StartError.tokenRequired(host: host))")
        }
        if let token, token.count < 8 { throw ValidationError("--token must be at least 8 characters") }
    }

    func run() async throws {
        products.apply()
        let service = try withIndexOrModel { () -> SearchService in
            let loaded = try LoadedModel(options.model)
            if !watch.isEmpty && !FileManager.default.fileExists(atPath: options.indexDirectory.path) {
                _ = try IndexStore(writingAt: options.indexDirectory, model: loaded.identity)  // made empty, then closed
            }
            let store = try IndexStore(readingAt: options.indexDirectory, model: loaded.identity)
            let engine = try SearchEngine(model: loaded.model, tokenizer: try loaded.tokenizer(), store: store)
            if let notice = engine.vectors.notice { Output.error(notice) }
            let pipeline = try IngestPipeline(model: loaded.model, preprocessor: try loaded.preprocessor(), options: ExampleEncoder.pipelineOptions)
            return SearchService(
                engine: engine, watch: watch.isEmpty ? nil : WatchStatus(folders: watch),
                encodeExample: { try ExampleEncoder.encode(path: $0, pipeline: pipeline, modelTurn: $1).embedding })
        }
        if let status = service.watch { try startWatcher(status, service) }
        var serverOptions = ServerOptions()
        serverOptions.host = host
        serverOptions.port = port
        serverOptions.token = token
        if let clipCache { serverOptions.clipCache = URL(fileURLWithPath: clipCache) }
        serverOptions.clipCacheBytes = clipCacheMb << 20
        let directory = options.indexDirectory.path
        do {
            try await SearchServer.run(service: service, options: serverOptions) { address in
                print(ServeHandshake.line(directory: directory, address: address))
                fflush(stdout)
            }
        } catch {
            Output.error("cannot serve on \(host):\(port): \(error)")
            throw ExitCodes.indexOrModel
        }
    }

    /// The watcher runs as a child `vidsearch watch` (the index's one writer; this process only
    /// reads): its JSON events feed /api/status, and each commit makes searches catch up.
    private func startWatcher(_ status: WatchStatus, _ service: SearchService) throws {
        let child = Process()
        child.executableURL = Defaults.executable
        child.arguments =
            ["watch"] + watch + ["--index", options.indexDirectory.path, "--settle", String(settle), "--json", "--exit-with-parent"]
            + (options.model.map { ["--model", $0] } ?? []) + (products.precision.map { ["--precision", $0] } ?? [])
        let out = Pipe(), err = Pipe()
        child.standardOutput = out
        child.standardError = err
        try child.run()
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[buffer.startIndex..<newline]
                    buffer.removeSubrange(buffer.startIndex...newline)
                    do {
                        if status.apply(try EventLine.decode(WatchEvent.self, from: Data(line))) { try? service.refresh() }
                    } catch {
                        Output.error(
                            "the watcher printed a line this server cannot read (\(error)): \(String(decoding: line, as: UTF8.self).prefix(200))")
                    }
                }
            }
            child.waitUntilExit()
            let why =
                String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").last.map(String.init) ?? ""
            status.ended("the watcher exited with status \(child.terminationStatus)" + (why.isEmpty ? "" : ": \(why)"))
            Output.error("watch stopped (status \(child.terminationStatus)) \(why)")
        }
    }
}
