import CLMDB
import Foundation

/// An LMDB environment: one directory, a memory map, named databases.
/// Writes go through `write`, which commits on return and aborts on a thrown error;
/// a full map is grown and the transaction retried, so callers never see MDB_MAP_FULL.
public final class LMDBEnvironment {
    let env: OpaquePointer
    public let path: String
    public private(set) var mapSize: Int
    private var databases: [String: MDB_dbi] = [:]

    /// Opens (creating if needed) the environment in directory `path`. An existing data file is
    /// checked first (LMDBFileCheck): a truncated or foreign one is an error, never a new start.
    public init(path: String, mapSize: Int = 64 << 20, maxDatabases: Int = 16, readOnly: Bool = false) throws {
        try LMDBFileCheck.check(directory: path, mustExist: readOnly)
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "create environment")
        self.path = path
        self.mapSize = mapSize
        do {
            try check(mdb_env_set_maxdbs(handle, MDB_dbi(maxDatabases)), "set max databases")
            try check(mdb_env_set_mapsize(handle, mapSize), "set map size")
            if !readOnly {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
            // MDB_NOTLS: read transactions are not tied to threads (Swift tasks hop threads).
            let flags = UInt32(MDB_NOTLS) | (readOnly ? UInt32(MDB_RDONLY) : 0)
            try check(mdb_env_open(handle, path, flags, 0o644), "open environment at \(path)")
            var info = MDB_envinfo()
            if mdb_env_info(handle, &info) == 0 { self.mapSize = info.me_mapsize }
        } catch {
            // `env` is not yet set, so deinit does not run: this is the only close.
            mdb_env_close(handle)
            throw error
        }
        env = handle!
    }

    deinit { mdb_env_close(env) }

    /// The handle of a named database, created on first use by a write transaction.
    /// A handle opened inside a transaction is valid for others only once that one commits.
    func database(_ name: String, in txn: LMDBTransaction, create: Bool) throws -> MDB_dbi {
        if let dbi = databases[name] ?? txn.openedDatabases[name] { return dbi }
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(txn.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi), "open database \(name)")
        txn.openedDatabases[name] = dbi
        return dbi
    }

    /// Runs `body` in a write transaction and commits it. On MDB_MAP_FULL the map is
    /// doubled and `body` runs again from the start, so it must not have other side effects.
    @discardableResult
    public func write<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        while true {
            do {
                return try runTransaction(readOnly: false, body)
            } catch let error as LMDBError where error.isMapFull {
                try grow()
            }
        }
    }

    /// Runs `body` in a read-only snapshot of the last committed state.
    public func read<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        try runTransaction(readOnly: true, body)
    }

    private func runTransaction<T>(readOnly: Bool, _ body: (LMDBTransaction) throws -> T) throws -> T {
        var handle: OpaquePointer?
        var code = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &handle)
        if code == MDB_MAP_RESIZED {
            // Another process grew the map: adopt its size and retry.
            try check(mdb_env_set_mapsize(env, 0), "adopt grown map")
            code = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &handle)
        }
        try check(code, readOnly ? "begin read transaction" : "begin write transaction")
        let txn = LMDBTransaction(environment: self, handle: handle!, readOnly: readOnly)
        let result: T
        do {
            result = try body(txn)
        } catch {
            mdb_txn_abort(handle)
            throw error
        }
        if readOnly && txn.openedDatabases.isEmpty {
            mdb_txn_abort(handle)
        } else {
            // Committing keeps database handles opened inside the transaction (an abort would close
            // them, read-only or not). mdb_txn_commit frees the transaction whether or not it succeeds.
            let code = mdb_txn_commit(handle)
            // A full disk reaches LMDB as EIO as often as ENOSPC: say what it is.
            if code != 0, !readOnly, code == EIO || code == ENOSPC, Self.deviceIsFull(path) {
                throw LMDBError(code: ENOSPC, operation: "commit (the device holding \(path) is full; nothing of this transaction was written)")
            }
            try check(code, readOnly ? "end read transaction" : "commit")
        }
        databases.merge(txn.openedDatabases) { old, _ in old }
        return result
    }

    /// Less than 1 MiB left to unprivileged writers on the file system holding `path`.
    static func deviceIsFull(_ path: String) -> Bool {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return false }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) < 1 << 20
    }

    private func grow() throws {
        let newSize = mapSize * 2
        try check(mdb_env_set_mapsize(env, newSize), "grow map to \(newSize) bytes")
        mapSize = newSize
    }

    /// Flushes committed data to disk (needed only with relaxed sync settings).
    public func sync() throws {
        try check(mdb_env_sync(env, 1), "sync")
    }
}
