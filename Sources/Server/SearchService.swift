import Foundation
import Query
import VideoIndex

/// The model and index one server holds. Searches take turns on the model (its buffers are
/// shared and its products already use every core); record reads are LMDB read transactions.
public final class SearchService: @unchecked Sendable {
    let engine: SearchEngine
    private let lock = NSLock()

    public init(engine: SearchEngine) {
        self.engine = engine
    }

    var store: IndexStore { engine.store }

    func withEngine<T>(_ body: (SearchEngine) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(engine)
    }
}
