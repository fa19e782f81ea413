import CLMDB
import Foundation

/// An LMDB environment: one directory, a memory map, named databases.
/// Writes go through `write`, which commits on return and aborts on a thrown error;
/// a full map is grown and the transaction retried, so callers never see MDB_MAP_FULL.
///
/// Shared between threads by this rule: every named database is declared when the environment
/// opens and its handle opened then, in one transaction, before any other thread can use it; a
/// database a reader found missing (an older index, which a writer in another process may add
/// later) is opened by one thread at a time (LMDB allows no concurrent mdb_dbi_open), and a
/// transaction uses only the handles there were when it began (a later one is invalid in it).
/// A map resize (growing the map, or adopting one another process grew) happens only while no
/// transaction of this process is live (TransactionGate).
public final class LMDBEnvironment: @unchecked Sendable {
    let env: OpaquePointer
    public let path: String
    private let readOnly: Bool
    private let gate = TransactionGate()
    private let handles: DatabaseHandles
    /// Held while a missing database is looked for again: one mdb_dbi_open at a time.
    private let lateOpen = NSLock()

    /// The map's size in bytes as this process maps it.
    public var mapSize: Int {
        var info = MDB_envinfo()
        return mdb_env_info(env, &info) == 0 ? info.me_mapsize : 0
    }

    /// Opens (creating if needed) the environment in directory `path` with the named databases
    /// `databases` (created when writable). An existing data file is checked first
    /// (LMDBFileCheck): a truncated or foreign one is an error, never a new start.
    public init(path: String, databases: [String], mapSize: Int = 64 << 20, readOnly: Bool = false) throws {
        try LMDBFileCheck.check(directory: path, mustExist: readOnly)
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "create environment")
        self.path = path
        self.readOnly = readOnly
        do {
            try check(mdb_env_set_maxdbs(handle, MDB_dbi(databases.count)), "set max databases")
            try check(mdb_env_set_mapsize(handle, mapSize), "set map size")
            if !readOnly {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
            // MDB_NOTLS: read transactions are not tied to threads (Swift tasks hop threads).
            let flags = UInt32(MDB_NOTLS) | (readOnly ? UInt32(MDB_RDONLY) : 0)
            try check(mdb_env_open(handle, path, flags, 0o644), "open environment at \(path)")
            handles = DatabaseHandles(declared: databases)
            try Self.openDatabases(handle!, databases, create: !readOnly, into: handles)
        } catch {
            // `env` is not yet set, so deinit does not run: this is the only close.
            mdb_env_close(handle)
            throw error
        }
        env = handle!
    }

    deinit { mdb_env_close(env) }

    /// Opens `names` in one transaction and commits it (an abort would close the handles); a
    /// database that does not exist yet is left missing for a reader.
    private static func openDatabases(_ env: OpaquePointer, _ names: [String], create: Bool, into handles: DatabaseHandles) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, create ? 0 : UInt32(MDB_RDONLY), &txn), "begin transaction to open databases")
        var opened: [String: MDB_dbi] = [:]
        for name in names {
            var dbi: MDB_dbi = 0
            let code = mdb_dbi_open(txn, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
            if code == MDB_NOTFOUND && !create { continue }
            if code != 0 { mdb_txn_abort(txn) }
            try check(code, "open database \(name)")
            opened[name] = dbi
        }
        try check(mdb_txn_commit(txn), "commit the opened databases")
        handles.add(opened)
    }

    /// Runs `body` in a write transaction and commits it. On MDB_MAP_FULL the map is
    /// doubled and `body` runs again from the start, so it must not have other side effects.
    @discardableResult
    public func write<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        while true {
            do {
                return try runTransaction(readOnly: false, body)
            } catch let error as LMDBError where error.isMapFull && !gate.insideTransaction {
                try grow()
            }
        }
    }

    /// Runs `body` in a read-only snapshot of the last committed state.
    public func read<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        try runTransaction(readOnly: true, body)
    }

    private func runTransaction<T>(readOnly: Bool, _ body: (LMDBTransaction) throws -> T) throws -> T {
        if self.readOnly, handles.missingDueForRetry() {
            // A writer elsewhere may have made them since; transactions already live keep not seeing them.
            // Best effort: one that cannot begin now (a map to adopt first) is tried on a later turn.
            lateOpen.lock()
            defer { lateOpen.unlock() }
            try? gate.shared { try Self.openDatabases(env, handles.missing, create: false, into: handles) }
        }
        while true {
            do {
                return try gate.shared { try runTransactionOnce(readOnly: readOnly, body) }
            } catch let error as LMDBError where error.code == MDB_MAP_RESIZED && !gate.insideTransaction {
                // Another process grew the map: adopt its size, with no transaction live, and retry.
                try gate.exclusive { try check(mdb_env_set_mapsize(env, 0), "adopt grown map") }
            }
        }
    }

    private func runTransactionOnce<T>(readOnly: Bool, _ body: (LMDBTransaction) throws -> T) throws -> T {
        var handle: OpaquePointer?
        try check(
            mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &handle), readOnly ? "begin read transaction" : "begin write transaction")
        let txn = LMDBTransaction(handle: handle!, readOnly: readOnly, databases: handles.snapshot(), declared: handles.declared)
        let result: T
        do {
            result = try body(txn)
        } catch {
            mdb_txn_abort(handle)
            throw error
        }
        if readOnly {
            mdb_txn_abort(handle)
        } else {
            // mdb_txn_commit frees the transaction whether or not it succeeds.
            let code = mdb_txn_commit(handle)
            // A full disk reaches LMDB as EIO as often as ENOSPC: say what it is.
            if code != 0, !readOnly, code == EIO || code == ENOSPC, Self.deviceIsFull(path) {
                throw LMDBError(code: ENOSPC, operation: "commit (the device holding \(path) is full; nothing of this transaction was written)")
            }
            try check(code, "commit")
        }
        return result
    }

    /// Less than 1 MiB left to unprivileged writers on the file system holding `path`.
    static func deviceIsFull(_ path: String) -> Bool {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return false }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) < 1 << 20
    }

    private func grow() throws {
        try gate.exclusive {
            let newSize = mapSize * 2
            try check(mdb_env_set_mapsize(env, newSize), "grow map to \(newSize) bytes")
        }
    }

    /// Flushes committed data to disk (needed only with relaxed sync settings).
    public func sync() throws {
        try check(mdb_env_sync(env, 1), "sync")
    }
}

/// The handles of an environment's declared databases, and those a reader has not found yet.
/// Guarded by its lock: a late open adds to it while other threads take snapshots.
final class DatabaseHandles: @unchecked Sendable {
    private let lock = NSLock()
    private var opened: [String: MDB_dbi] = [:]
    let declared: Set<String>
    private var lastTry = Date()

    init(declared: [String]) { self.declared = Set(declared) }

    func add(_ handles: [String: MDB_dbi]) {
        lock.lock()
        defer { lock.unlock() }
        opened.merge(handles) { old, _ in old }
        lastTry = Date()
    }

    /// The handles now: what a transaction beginning now may use.
    func snapshot() -> [String: MDB_dbi] {
        lock.lock()
        defer { lock.unlock() }
        return opened
    }

    var missing: [String] {
        lock.lock()
        defer { lock.unlock() }
        return declared.filter { opened[$0] == nil }.sorted()
    }

    /// Some database is missing and a second has passed since the last look.
    func missingDueForRetry() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard opened.count < declared.count, Date().timeIntervalSince(lastTry) >= 1 else { return false }
        lastTry = Date()
        return true
    }
}
