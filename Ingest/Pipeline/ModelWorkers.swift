import Foundation
import VideoIndex

/// Several threads running the model on one segment each, taking the decoder's items in turn and
/// handing the outcomes back in the order the items were queued. Each worker runs the model on
/// one thread, so a segment's vector does not depend on how many workers there are, and while
/// the decoder needs less than a core the workers use what it leaves (one multi-threaded model
/// call beside a decoder either leaves a core idle or has its threads wait for one).
final class ModelWorkers {
    enum Outcome {
        /// An item that is not a segment, passed on as it came.
        case item(PipelineItem)
        case encoded(file: Int, IngestPipeline.ModelOutput)
    }

    private let items: BoundedQueue<PipelineItem>
    private let taking = NSLock()  // one worker takes an item and its number at a time
    private var taken = 0
    private let condition = NSCondition()
    private var finished: [Int: Result<Outcome, Error>] = [:]
    private var delivered = 0
    private var running: Int
    private var stopped = false

    init(count: Int, items: BoundedQueue<PipelineItem>, encode: @escaping (PreparedSegment) throws -> IngestPipeline.ModelOutput) {
        self.items = items
        running = count
        for _ in 0..<count {
            let thread = Thread { [self] in work(encode) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func work(_ encode: (PreparedSegment) throws -> IngestPipeline.ModelOutput) {
        while true {
            taking.lock()
            let item = items.pop()
            let number = taken
            taken += 1
            taking.unlock()
            guard let item else { break }
            condition.lock()
            let stop = stopped
            condition.unlock()
            if stop { break }
            let outcome: Result<Outcome, Error>
            if case .segment(let file, let segment) = item {
                outcome = Result { .encoded(file: file, try encode(segment)) }
            } else {
                outcome = .success(.item(item))
            }
            condition.lock()
            finished[number] = outcome
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The next outcome in queue order (rethrowing a model error); nil once the queue is closed
    /// and every item has been handed back.
    func next() throws -> Outcome? {
        condition.lock()
        defer { condition.unlock() }
        while finished[delivered] == nil && running > 0 { condition.wait() }
        guard let outcome = finished.removeValue(forKey: delivered) else { return nil }
        delivered += 1
        return try outcome.get()
    }

    /// Stops taking items (the queue is closed) and waits for the workers' current segments.
    func stop() {
        condition.lock()
        stopped = true
        condition.unlock()
        items.close()
        condition.lock()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}
