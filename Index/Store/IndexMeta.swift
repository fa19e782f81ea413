import Foundation

/// The index's own record: schema, model, counters and the generation of the last commit.
public struct IndexMeta: Codable, Equatable {
    /// Version 1: the layout described in IndexStore. A later release reads this one.
    public static let currentSchema = 1

    public var schema = IndexMeta.currentSchema
    public var model: ModelIdentity
    public var nextVideoId: UInt64 = 1
    public var nextSegmentId: Int64 = 1
    /// Incremented by every commit that changes segments; the FAISS file records the one it reflects.
    public var generation: UInt64 = 0
    /// FAISS factory string forced by the user, or nil for the documented size rule.
    public var faissFactory: String?
    /// A random id made with the LMDB environment: the vector cache names the environment it
    /// was built from (CacheStamp). nil in indexes made before it; the next writer assigns one.
    public var indexId: String?

    public init(model: ModelIdentity, faissFactory: String? = nil) {
        self.model = model
        self.faissFactory = faissFactory
        self.indexId = UUID().uuidString
    }
}
