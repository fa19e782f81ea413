import CSQLite
import Foundation

/// A SQLite connection, as little of it as the text cache needs: statements with bound values,
/// rows read by column, and a database loaded into memory from a file's bytes. Serialized
/// (SQLite's own mutex): one connection may be used from any thread.
final class SQLiteDatabase {
    private let handle: OpaquePointer
    let path: String

    struct Failure: Error, CustomStringConvertible {
        let path: String
        let message: String
        var description: String { "\(path): \(message)" }
    }

    /// `path` ":memory:" is a database in memory; `readOnly` opens an existing file unchanged.
    init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw Failure(path: path, message: message)
        }
        handle = db
        self.path = path
    }

    deinit { sqlite3_close_v2(handle) }

    /// A database in memory holding a copy of `bytes` (a file written by `VACUUM INTO`).
    static func inMemory(copying bytes: Data) throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: ":memory:")
        let size = bytes.count
        guard let buffer = sqlite3_malloc64(sqlite3_uint64(max(size, 1))) else { throw Failure(path: ":memory:", message: "out of memory") }
        _ = bytes.withUnsafeBytes { memcpy(buffer, $0.baseAddress!, size) }
        let flags = UInt32(SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE)
        let code = sqlite3_deserialize(db.handle, "main", buffer.assumingMemoryBound(to: UInt8.self), sqlite3_int64(size), sqlite3_int64(size), flags)
        guard code == SQLITE_OK else { throw Failure(path: ":memory:", message: "load: \(db.message)") }
        return db
    }

    var message: String { String(cString: sqlite3_errmsg(handle)) }

    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let text = error.map { String(cString: $0) } ?? message
            sqlite3_free(error)
            throw Failure(path: path, message: text)
        }
    }

    func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw Failure(path: path, message: "\(message) in: \(sql)")
        }
        return Statement(statement, database: self)
    }

    /// Runs `body` in one transaction: committed on return, rolled back on a thrown error.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// One prepared statement; values bind from 1 as SQLite counts, columns read from 0.
    final class Statement {
        private let statement: OpaquePointer
        private let database: SQLiteDatabase

        init(_ statement: OpaquePointer, database: SQLiteDatabase) {
            self.statement = statement
            self.database = database
        }

        deinit { sqlite3_finalize(statement) }

        func reset() {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }

        func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }
        func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(statement, index, value) }
        func bind(_ index: Int32, _ value: String?) {
            guard let value else {
                sqlite3_bind_null(statement, index)
                return
            }
            sqlite3_bind_text(statement, index, value, -1, vs_sqlite_transient())
        }

        /// Steps once: true while a row is ready, false when done.
        func step() throws -> Bool {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: return true
            case SQLITE_DONE: return false
            default: throw Failure(path: database.path, message: database.message)
            }
        }

        /// Runs a statement that returns no rows, then resets it for the next values.
        func run() throws {
            defer { reset() }
            _ = try step()
        }

        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
        func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
        func text(_ column: Int32) -> String? {
            guard let bytes = sqlite3_column_text(statement, column) else { return nil }
            return String(cString: bytes)
        }
    }
}
