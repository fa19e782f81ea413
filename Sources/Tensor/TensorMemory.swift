import Foundation

/// Where tensors' memory comes from: 64-byte aligned blocks, with freed large blocks kept for
/// the next tensor of the same size. A forward pass allocates the same activation sizes layer
/// after layer; glibc would return each to the kernel on free (so every fresh buffer page-faults
/// again), and raising its thresholds instead let the heap fragment and grow without bound when
/// several threads allocate. Keeping blocks by exact size makes reuse certain and the memory held
/// bounded by `limit`.
public enum TensorMemory {
    /// Blocks below this size go straight to malloc and free.
    static let minimumPooled = 64 << 10
    /// At most this many bytes of freed blocks are kept.
    static let limit = 512 << 20

    private static let lock = NSLock()
    private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private static var heldBytes = 0

    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        if bytes >= minimumPooled {
            lock.lock()
            if let block = free[bytes]?.popLast() {
                heldBytes -= bytes
                lock.unlock()
                return block
            }
            lock.unlock()
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else { fatalError("out of memory for a tensor of \(bytes) bytes") }
        return raw
    }

    /// Frees every kept block: after a model is loaded, its temporary tensors' blocks (weights
    /// fused or converted) are sizes a forward pass does not ask for, and would only be held.
    public static func freeKept() {
        lock.lock()
        let blocks = free.values.flatMap { $0 }
        free = [:]
        heldBytes = 0
        lock.unlock()
        for block in blocks { Foundation.free(block) }
    }

    static func release(_ block: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= minimumPooled {
            lock.lock()
            if heldBytes + bytes <= limit {
                free[bytes, default: []].append(block)
                heldBytes += bytes
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(block)
    }
}
