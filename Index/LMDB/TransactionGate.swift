import Foundation

/// Keeps LMDB's map resize (`mdb_env_set_mapsize`, allowed only while no transaction of the
/// process is live) apart from every live transaction. Each transaction holds the gate shared;
/// a resize takes it exclusively, waiting for the live transactions to end and letting no new
/// one begin until it is done.
///
/// A transaction begun inside another on the same thread (a body that reads again) joins its
/// thread's turn rather than queueing behind a waiting resize, which it would block forever.
final class TransactionGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var live = 0
    private var exclusiveWaiting = false
    private let depth = ThreadDepth()

    /// Whether this thread is already inside a transaction.
    var insideTransaction: Bool { depth.value > 0 }

    func shared<T>(_ body: () throws -> T) rethrows -> T {
        if depth.value == 0 {
            condition.lock()
            while exclusiveWaiting { condition.wait() }
            live += 1
            condition.unlock()
        }
        depth.value += 1
        defer {
            depth.value -= 1
            if depth.value == 0 {
                condition.lock()
                live -= 1
                if live == 0 { condition.broadcast() }
                condition.unlock()
            }
        }
        return try body()
    }

    /// Runs `body` with no transaction live in the process. Must not be called inside one.
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        precondition(depth.value == 0, "an exclusive LMDB operation inside a transaction would wait for itself")
        condition.lock()
        while exclusiveWaiting { condition.wait() }
        exclusiveWaiting = true
        while live > 0 { condition.wait() }
        condition.unlock()
        defer {
            condition.lock()
            exclusiveWaiting = false
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}

/// A per-thread counter (pthread-specific data: each thread sees its own).
private final class ThreadDepth: @unchecked Sendable {
    private var key = pthread_key_t()

    init() { pthread_key_create(&key, nil) }
    deinit { pthread_key_delete(key) }

    var value: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }
}
