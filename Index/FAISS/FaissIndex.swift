import FaissBridge
import Foundation

/// A FAISS error, carried across the C bridge as a message (FAISS throws C++ exceptions).
public struct FaissError: Error, CustomStringConvertible {
    public let operation: String
    public let message: String
    public var description: String { "FAISS \(operation) failed: \(message)" }
}

/// An inner-product FAISS index keyed by 64-bit ids (segment ids).
public final class FaissIndex {
    private let handle: OpaquePointer

    /// Builds an empty index from a FAISS factory string, e.g. "Flat" or "HNSW32,Flat".
    public init(dimension: Int, factory: String = "Flat") throws {
        var out: OpaquePointer?
        try FaissIndex.call("create \"\(factory)\" with dimension \(dimension)") { err, len in
            vs_faiss_create(Int32(clamping: dimension), factory, &out, err, len)
        }
        handle = out!
    }

    /// Reads an index written by `write(to:)`.
    public init(contentsOf path: String) throws {
        var out: OpaquePointer?
        try FaissIndex.call("read \(path)") { err, len in vs_faiss_read(path, &out, err, len) }
        handle = out!
    }

    deinit { vs_faiss_free(handle) }

    public var count: Int { Int(vs_faiss_ntotal(handle)) }
    public var dimension: Int { Int(vs_faiss_dimension(handle)) }
    /// The kind as a factory string, from the index itself (a file says what it holds); nil for
    /// a kind vidsearch does not make.
    public var kind: String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let unknown = vs_faiss_describe(handle, &buffer, buffer.count) != 0
        return unknown ? nil : String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Every id the index holds.
    public func ids() throws -> [Int64] {
        var ids = [Int64](repeating: 0, count: count)
        try FaissIndex.call("list ids") { err, len in vs_faiss_ids(handle, &ids, err, len) }
        return ids
    }
    public var isTrained: Bool { vs_faiss_is_trained(handle) != 0 }

    public func train(_ vectors: [Float]) throws {
        try checkShape(vectors.count, "train")
        try FaissIndex.call("train") { err, len in
            vs_faiss_train(handle, Int64(vectors.count / dimension), vectors, err, len)
        }
    }

    /// Adds row-major vectors (count = ids.count * dimension) under the given ids.
    public func add(_ vectors: [Float], ids: [Int64]) throws {
        guard vectors.count == ids.count * dimension else {
            throw FaissError(operation: "add", message: "\(vectors.count) floats for \(ids.count) ids of dimension \(dimension)")
        }
        try FaissIndex.call("add") { err, len in
            vs_faiss_add(handle, Int64(ids.count), vectors, ids, err, len)
        }
    }

    /// The k best ids and scores for each query row; absent results are dropped.
    public func search(_ queries: [Float], k: Int) throws -> [[(id: Int64, score: Float)]] {
        try checkShape(queries.count, "search")
        let n = queries.count / dimension
        var distances = [Float](repeating: 0, count: n * max(k, 0))
        var labels = [Int64](repeating: -1, count: n * max(k, 0))
        try FaissIndex.call("search") { err, len in
            vs_faiss_search(handle, Int64(n), queries, Int64(k), &distances, &labels, err, len)
        }
        return (0..<n).map { row in
            (0..<k).compactMap { j in
                let label = labels[row * k + j]
                return label < 0 ? nil : (label, distances[row * k + j])
            }
        }
    }

    /// Removes ids; returns how many were present. Throws for structures that cannot remove.
    @discardableResult
    public func remove(ids: [Int64]) throws -> Int {
        var removed: Int64 = 0
        try FaissIndex.call("remove") { err, len in
            vs_faiss_remove(handle, Int64(ids.count), ids, &removed, err, len)
        }
        return Int(removed)
    }

    public func setParameter(_ name: String, _ value: Double) throws {
        try FaissIndex.call("set \(name)") { err, len in vs_faiss_set_parameter(handle, name, value, err, len) }
    }

    public func write(to path: String) throws {
        try FaissIndex.call("write \(path)") { err, len in vs_faiss_write(handle, path, err, len) }
    }

    private func checkShape(_ floats: Int, _ operation: String) throws {
        if floats % dimension != 0 {
            throw FaissError(operation: operation, message: "\(floats) floats is not a multiple of dimension \(dimension)")
        }
    }

    private static func call(
        _ operation: @autoclosure () -> String,
        _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32
    ) throws {
        var buffer = [CChar](repeating: 0, count: 1024)
        let code = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        if code != 0 {
            throw FaissError(operation: operation(), message: String(cString: buffer))
        }
    }
}
