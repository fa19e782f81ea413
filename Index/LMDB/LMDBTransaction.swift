import CLMDB
import Foundation

/// One LMDB transaction. Valid only inside the closure passed to `read` or `write`.
public final class LMDBTransaction {
    let handle: OpaquePointer
    public let readOnly: Bool
    /// The environment's database handles as they were when this transaction began.
    private let databases: [String: MDB_dbi]
    private let declared: Set<String>

    init(handle: OpaquePointer, readOnly: Bool, databases: [String: MDB_dbi], declared: Set<String>) {
        self.handle = handle
        self.readOnly = readOnly
        self.databases = databases
        self.declared = declared
    }

    /// nil: a declared database this reader has not found, simply empty to it; an error for a
    /// name never declared, or one a writer lacks.
    private func dbi(_ name: String) throws -> MDB_dbi? {
        if let dbi = databases[name] { return dbi }
        guard declared.contains(name), readOnly else {
            throw LMDBError(code: EINVAL, operation: "open database \(name) (not declared when the environment opened)")
        }
        return nil
    }

    public func get(_ key: [UInt8], in database: String) throws -> [UInt8]? {
        guard let dbi = try dbi(database) else { return nil }
        return try key.withUnsafeBytes { keyBytes -> [UInt8]? in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            let code = mdb_get(handle, dbi, &k, &v)
            if code == MDB_NOTFOUND { return nil }
            try check(code, "get from \(database)")
            return Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        }
    }

    /// The value's bytes in place, in LMDB's map (valid only inside `body`): no copy.
    public func withValue<T>(_ key: [UInt8], in database: String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        guard let dbi = try dbi(database) else { return nil }
        return try key.withUnsafeBytes { keyBytes -> T? in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            let code = mdb_get(handle, dbi, &k, &v)
            if code == MDB_NOTFOUND { return nil }
            try check(code, "get from \(database)")
            return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        }
    }

    public func put(_ value: [UInt8], for key: [UInt8], in database: String) throws {
        guard let dbi = try dbi(database) else { throw LMDBError(code: EACCES, operation: "put in read transaction") }
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var v = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                try check(mdb_put(handle, dbi, &k, &v, 0), "put in \(database)")
            }
        }
    }

    /// Deletes `key`; returns whether it was there.
    @discardableResult
    public func delete(_ key: [UInt8], in database: String) throws -> Bool {
        guard let dbi = try dbi(database) else { return false }
        return try key.withUnsafeBytes { keyBytes -> Bool in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let code = mdb_del(handle, dbi, &k, nil)
            if code == MDB_NOTFOUND { return false }
            try check(code, "delete from \(database)")
            return true
        }
    }

    /// Visits every key/value in key order; `body` returns false to stop.
    public func forEach(in database: String, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        guard let dbi = try dbi(database) else { return }
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, dbi, &cursor), "open cursor on \(database)")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var op = MDB_FIRST
        while true {
            let code = mdb_cursor_get(cursor, &k, &v, op)
            if code == MDB_NOTFOUND { return }
            try check(code, "iterate \(database)")
            let key = Array(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size))
            let value = Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            if try !body(key, value) { return }
            op = MDB_NEXT
        }
    }

    /// Number of entries in a database.
    public func count(in database: String) throws -> Int {
        guard let dbi = try dbi(database) else { return 0 }
        var stat = MDB_stat()
        try check(mdb_stat(handle, dbi, &stat), "stat \(database)")
        return stat.ms_entries
    }
}
