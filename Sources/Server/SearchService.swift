import Foundation
import Ingest
import Query
import VideoIndex

/// The model and index one server holds. Searches take turns on the model (its buffers are
/// shared and its products already use every core); record reads are LMDB read transactions.
public final class SearchService: @unchecked Sendable {
    let engine: SearchEngine
    /// Set when a watcher runs beside the server.
    public let watch: WatchStatus?
    /// Encodes an example file (a clip or a photo) as ingest does: its search vector. Each of
    /// its model calls runs through the turn it is given, which takes the searches' lock for that
    /// call alone (it uses the same model), so searches answer between an example's segments.
    let encodeExample: ((String, @escaping IngestPipeline.ModelTurn) throws -> [Float])?
    let exampleTurns = ExampleTurns()
    private let lock = NSLock()

    public init(
        engine: SearchEngine, watch: WatchStatus? = nil, encodeExample: ((String, @escaping IngestPipeline.ModelTurn) throws -> [Float])? = nil
    ) {
        self.engine = engine
        self.watch = watch
        self.encodeExample = encodeExample
    }

    /// Sees every video committed since (by the watcher, or any `vidsearch index`): cheap when
    /// nothing changed. Run before each search.
    public func refresh() throws {
        try withEngine { try $0.refresh() }
    }

    var store: IndexStore { engine.store }

    func withEngine<T>(_ body: (SearchEngine) throws -> T) rethrows -> T {
        lock.lock()  // also guards the reader's meta, which refresh() replaces
        defer { lock.unlock() }
        return try body(engine)
    }
}
