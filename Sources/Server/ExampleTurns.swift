import NIOCore

/// Examples encoded at once: fewer than the blocking threads, so that uploads never hold every
/// thread a search needs. Uploads past that wait here without holding a thread; past `waiting`
/// more they are turned away (each holds its upload in memory meanwhile).
actor ExampleTurns {
    private let limit: Int
    private let maxWaiting: Int
    private var running = 0
    private var queue: [CheckedContinuation<Void, Never>] = []

    init(limit: Int = max(1, NIOSingletons.blockingPoolThreadCountSuggestion - 1), maxWaiting: Int = 8) {
        self.limit = limit
        self.maxWaiting = maxWaiting
    }

    /// Waits for a turn; false when too many already wait.
    func acquire() async -> Bool {
        if running < limit {
            running += 1
            return true
        }
        guard queue.count < maxWaiting else { return false }
        await withCheckedContinuation { queue.append($0) }
        return true  // the finished turn passed its place on
    }

    func release() {
        if queue.isEmpty {
            running -= 1
        } else {
            queue.removeFirst().resume()
        }
    }
}
