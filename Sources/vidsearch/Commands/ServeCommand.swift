import ArgumentParser
import Foundation
import Query
import Server
import VideoIndex

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a search page and a JSON API over the index.",
        discussion: """
        Open the printed address in a browser: type what you are looking for, click a hit to play
        exactly that moment, "more like this" on any hit. The API is described in
        docs/openapi.yaml (GET /api/search?q=..., /api/similar/SEGMENT, /api/videos, ...).

        Binds 127.0.0.1 unless told otherwise; any other address needs --token, which clients
        send as "Authorization: Bearer TOKEN" (a browser: open /?token=TOKEN once).

        Exit status: 2 usage error (a non-loopback host without --token), 3 index or model error.

        Examples:
          vidsearch serve
          vidsearch serve --index /data/archive-index --port 9000
          vidsearch serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
        """
    )

    @OptionGroup var options: IndexOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port; the address is printed).")
    var port = 8080

    @Option(help: "Secret every request must carry (required for any host but loopback).")
    var token: String?

    func validate() throws {
        try Limits.check(port, "--port", 0...65535)
        if token == nil && !ServerOptions.isLoopback(host) {
            throw ValidationError("\(SearchServer.StartError.tokenRequired(host: host))")
        }
        if let token, token.count < 8 { throw ValidationError("--token must be at least 8 characters") }
    }

    func run() throws {
        let service = try withIndexOrModel { () -> SearchService in
            let loaded = try LoadedModel(options.model)
            let store = try IndexStore(readingAt: options.indexDirectory, model: loaded.identity)
            let engine = try SearchEngine(model: loaded.model, tokenizer: try loaded.tokenizer(), store: store)
            if let notice = engine.vectors.notice { Output.error(notice) }
            return SearchService(engine: engine)
        }
        var serverOptions = ServerOptions()
        serverOptions.host = host
        serverOptions.port = port
        serverOptions.token = token
        let finished = DispatchSemaphore(value: 0)
        var failure: Error?
        Task {
            do {
                try await SearchServer.run(service: service, options: serverOptions) { address in
                    print("vidsearch: serving \(options.indexDirectory.path) at \(address)")
                    fflush(stdout)
                }
            } catch {
                failure = error
            }
            finished.signal()
        }
        finished.wait()
        if let failure {
            Output.error("cannot serve on \(host):\(port): \(failure)")
            throw ExitCodes.indexOrModel
        }
    }
}
